-- ecommerce.sql — a generated e-commerce schema shaped like the seeds' (customers,
-- products, orders, order_items, payments) for the pg/redis tests and
-- stdlib/pg/validate.yaml. Deterministic: every value derives from generate_series.
-- psql -v scale=N (default 1): N*200 customers, N*50 products, N*1000 orders.
\if :{?scale}
\else
\set scale 1
\endif
SET client_min_messages = warning;
DROP TABLE IF EXISTS payments, order_items, orders, products, customers CASCADE;

CREATE TABLE customers (
  id bigint PRIMARY KEY,
  email text NOT NULL,
  phone text,
  name text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE products (
  id bigint PRIMARY KEY,
  sku text NOT NULL UNIQUE,
  name text NOT NULL,
  price numeric(10,2) NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers(id),
  status text NOT NULL,
  total_amount numeric(12,2) NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX orders_customer_idx ON orders(customer_id);
CREATE INDEX orders_created_idx ON orders(created_at);
CREATE TABLE order_items (
  order_id bigint NOT NULL REFERENCES orders(id),
  line int NOT NULL,
  product_id bigint NOT NULL REFERENCES products(id),
  quantity int NOT NULL,
  unit_price numeric(10,2) NOT NULL,
  PRIMARY KEY (order_id, line)
);
CREATE TABLE payments (
  id bigint PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES orders(id),
  amount numeric(12,2) NOT NULL,
  method text NOT NULL,
  created_at timestamptz NOT NULL
);

INSERT INTO customers
SELECT g, 'customer' || g || '@example.com',
       CASE WHEN g % 5 = 0 THEN NULL ELSE '+1555' || lpad(g::text, 7, '0') END,
       'Customer ' || g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute'
FROM generate_series(1, 200 * :scale) g;

INSERT INTO products
SELECT g, 'SKU-' || lpad(g::text, 6, '0'), 'Product ' || g, (g % 97) + 0.99,
       jsonb_build_object('color', (ARRAY['red', 'green', 'blue'])[g % 3 + 1], 'weight', g % 10)
FROM generate_series(1, 50 * :scale) g;

INSERT INTO orders
SELECT g, (g % (200 * :scale)) + 1, (ARRAY['new', 'paid', 'shipped', 'delivered'])[g % 4 + 1], 0,
       timestamptz '2026-02-01 00:00:00+00' + g * interval '7 minutes',
       timestamptz '2026-02-01 00:00:00+00' + g * interval '7 minutes' + interval '1 hour'
FROM generate_series(1, 1000 * :scale) g;

INSERT INTO order_items
SELECT o, l, ((o * 7 + l) % (50 * :scale)) + 1, (o + l) % 4 + 1, 0
FROM generate_series(1, 1000 * :scale) o, generate_series(1, 3) l;
UPDATE order_items i SET unit_price = p.price FROM products p WHERE p.id = i.product_id;
UPDATE orders o SET total_amount = s.total
FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM order_items GROUP BY order_id) s
WHERE s.order_id = o.id;

INSERT INTO payments
SELECT g, g, o.total_amount, (ARRAY['card', 'paypal', 'transfer'])[g % 3 + 1], o.created_at + interval '5 minutes'
FROM generate_series(1, 1000 * :scale) g JOIN orders o ON o.id = g
WHERE g % 4 <> 0;
ANALYZE;
