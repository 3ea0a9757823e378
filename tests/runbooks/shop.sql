-- The seeds' e-commerce schema with a few consistent rows: every default check of
-- stdlib/pg/validate.yaml passes on it. Orders 4 and 5 (and their items) are newer than
-- 2026-11-21: the rows partial-table-restore brings back.
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, phone text);
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, total_amount numeric(10,2) NOT NULL,
                     created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE order_items (id int PRIMARY KEY, order_id int NOT NULL, product_id int NOT NULL,
                          quantity int NOT NULL, unit_price numeric(10,2) NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE payments (id int PRIMARY KEY, order_id int NOT NULL, amount numeric(10,2) NOT NULL,
                       created_at timestamptz NOT NULL);
INSERT INTO customers VALUES (1, 'ada@example.com', '+14155550100'), (2, 'bob@example.com', NULL);
INSERT INTO products VALUES (1, 'oak table', 450.00), (2, 'bath cabinet', 120.50), (3, 'shelf', 35.00);
INSERT INTO orders VALUES
  (1, 1, 450.00, '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z'),
  (2, 2, 241.00, '2026-11-10T10:00:00Z', '2026-11-10T11:00:00Z'),
  (3, 1,  35.00, '2026-11-15T10:00:00Z', '2026-11-15T10:00:00Z'),
  (4, 2, 485.00, '2026-11-22T09:00:00Z', '2026-11-22T09:00:00Z'),
  (5, 1, 120.50, '2026-11-22T12:00:00Z', '2026-11-22T12:00:00Z');
INSERT INTO order_items VALUES
  (1, 1, 1, 1, 450.00, '2026-11-01T10:00:00Z'),
  (2, 2, 2, 2, 120.50, '2026-11-10T10:00:00Z'),
  (3, 3, 3, 1,  35.00, '2026-11-15T10:00:00Z'),
  (4, 4, 1, 1, 450.00, '2026-11-22T09:00:00Z'),
  (5, 4, 3, 1,  35.00, '2026-11-22T09:00:00Z'),
  (6, 5, 2, 1, 120.50, '2026-11-22T12:00:00Z');
INSERT INTO payments VALUES
  (1, 1, 450.00, '2026-11-01T10:05:00Z'), (2, 2, 241.00, '2026-11-10T10:05:00Z'),
  (3, 3, 35.00, '2026-11-15T10:05:00Z'), (4, 4, 485.00, '2026-11-22T09:05:00Z'),
  (5, 5, 120.50, '2026-11-22T12:05:00Z');
ANALYZE;
