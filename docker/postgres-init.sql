-- The hub's store and Airflow's metadata live in one PostgreSQL server here, in two
-- databases; at scale they move to servers of their own (README, "Scaled deployment").
CREATE DATABASE airflow;
