-- roles and databases the seeds' scripts connect as (the real local PostgreSQL of the harness)
CREATE ROLE admin LOGIN SUPERUSER;
CREATE ROLE shop_admin LOGIN SUPERUSER;
CREATE ROLE ghostadmin LOGIN SUPERUSER;
CREATE ROLE replication_user LOGIN REPLICATION;
CREATE DATABASE ecommerce OWNER admin;
CREATE DATABASE shop OWNER shop_admin;
CREATE DATABASE lomash_orders OWNER shop_admin;
CREATE DATABASE ghostprotocol OWNER ghostadmin;
-- the tables the e-commerce scripts (seeds 000, 003, 004) query, dump and verify
\connect ecommerce admin
CREATE TABLE customers (id text PRIMARY KEY, name text, created_at timestamp NOT NULL DEFAULT now());
CREATE TABLE products (id text PRIMARY KEY, name text, price numeric, view_count int DEFAULT 0,
	created_at timestamp NOT NULL DEFAULT now());
CREATE TABLE orders (id text PRIMARY KEY, customer_id text REFERENCES customers, total numeric,
	created_at timestamp NOT NULL DEFAULT now());
CREATE TABLE order_items (id serial PRIMARY KEY, order_id text REFERENCES orders, product_id text REFERENCES products,
	quantity int);
INSERT INTO customers VALUES ('c-1', 'Ada', now() - interval '3 days'), ('c-2', 'Grace', now() - interval '1 day');
INSERT INTO products VALUES ('p-1', 'lamp', 30, 12, now() - interval '10 days'), ('p-2', 'desk', 250, 3, now() - interval '9 days');
INSERT INTO orders VALUES ('order-123', 'c-1', 30, now() - interval '2 days'), ('order-456', 'c-2', 250, now() - interval '5 hours');
INSERT INTO order_items (order_id, product_id, quantity) VALUES ('order-123', 'p-1', 1), ('order-456', 'p-2', 1);
