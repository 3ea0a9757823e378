-- roles and databases the seeds' scripts connect as (the real local PostgreSQL of the harness)
CREATE ROLE admin LOGIN SUPERUSER;
CREATE ROLE shop_admin LOGIN SUPERUSER;
CREATE ROLE ghostadmin LOGIN SUPERUSER;
CREATE ROLE replication_user LOGIN REPLICATION;
CREATE DATABASE ecommerce OWNER admin;
CREATE DATABASE shop OWNER shop_admin;
CREATE DATABASE lomash_orders OWNER shop_admin;
CREATE DATABASE ghostprotocol OWNER ghostadmin;
