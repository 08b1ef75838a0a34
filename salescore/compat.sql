-- PostgreSQL only: the few functions DuckDB has built in that salescore's portable SQL calls,
-- with DuckDB's meaning (DESIGN.md section 9). Applied by db.migrate before schema.sql, in one
-- statement batch; every object is CREATE OR REPLACE, so running it again is harmless.

SET LOCAL check_function_bodies = off;   -- _sc_scope_reps reads a table each session makes

-- The reps a restricted session may see (salescore/access.py): its own TEMP table, read at
-- query time, so that the role's shared views show each session its own rows
CREATE OR REPLACE FUNCTION _sc_scope_reps() RETURNS TABLE (rep_id varchar)
    LANGUAGE sql STABLE AS 'SELECT rep_id FROM pg_temp._scope_reps';

-- round(double, digits): PostgreSQL rounds only numeric to a number of digits. DuckDB (2.0)
-- rounds the double's exact binary value half away from zero (round(2.675, 2) = 2.67, since
-- 2.675 is stored as 2.67499999...; round(0.125, 2) = 0.13). x::numeric keeps 15 significant
-- digits, which gives the same result except when those digits end on a tie (or the value is
-- too large for them): then the exact value decides (_sc_exact). From 2^52 on, x * 10^digits
-- has no fraction and DuckDB divides it back as it is.
CREATE OR REPLACE FUNCTION _sc_exact(x double precision) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN p >= 0 THEN s * m * 2::numeric ^ p
                ELSE s * (trunc(m * 5::numeric ^ (-p))::text || 'e' || p::text)::numeric END
    FROM (SELECT CASE WHEN b < 0 THEN -1 ELSE 1 END AS s,
                 (b & 4503599627370495) + CASE WHEN (b >> 52) & 2047 = 0 THEN 0 ELSE 4503599627370496 END AS m,
                 greatest((b >> 52) & 2047, 1) - 1075 AS p
          FROM (SELECT ('x' || encode(float8send(x), 'hex'))::bit(64)::bigint AS b) bits) parts
$$;
CREATE OR REPLACE FUNCTION round(x double precision, digits integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN x IS NULL OR digits IS NULL THEN NULL
                WHEN x IN ('NaN', 'Infinity', '-Infinity') THEN x
                WHEN digits < 0 THEN round(x::numeric, digits)::double precision
                WHEN abs(x * 10::double precision ^ digits) >= 4503599627370496   -- 2^52: no fraction left
                    THEN x * 10::double precision ^ digits / 10::double precision ^ digits
                WHEN abs(x) < 10::double precision ^ (14 - least(digits, 14))
                     AND abs(x::numeric * 10::numeric ^ digits) % 1 <> 0.5
                    THEN round(x::numeric * 10::numeric ^ digits)::double precision
                         / 10::double precision ^ digits
                ELSE round(_sc_exact(x) * 10::numeric ^ digits)::double precision
                     / 10::double precision ^ digits END
$$;

-- strftime(date|timestamp, '%Y-%m...'): the format codes salescore uses, as to_char spells them
CREATE OR REPLACE FUNCTION strftime(t timestamp, fmt text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(t, replace(replace(replace(replace(replace(replace(replace(fmt,
        '%Y', 'YYYY'), '%m', 'MM'), '%d', 'DD'), '%H', 'HH24'), '%M', 'MI'), '%S', 'SS'),
        '%y', 'YY'))
$$;
CREATE OR REPLACE FUNCTION strftime(t date, fmt text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT strftime(t::timestamp, fmt)';

CREATE OR REPLACE FUNCTION strptime(t text, fmt text) RETURNS timestamp
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_timestamp(t, replace(replace(replace(replace(replace(replace(fmt,
        '%Y', 'YYYY'), '%m', 'MM'), '%d', 'DD'), '%H', 'HH24'), '%M', 'MI'), '%S', 'SS'))::timestamp
$$;

CREATE OR REPLACE FUNCTION today() RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE AS 'SELECT current_date';

CREATE OR REPLACE FUNCTION last_day(d date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $$SELECT (date_trunc('month', d::timestamp) + interval '1 month' - interval '1 day')::date$$;
CREATE OR REPLACE FUNCTION last_day(d timestamp) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT last_day(d::date)';

CREATE OR REPLACE FUNCTION year(d date) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT extract(year from d)::bigint';
CREATE OR REPLACE FUNCTION month(d date) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT extract(month from d)::bigint';
CREATE OR REPLACE FUNCTION quarter(d date) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT extract(quarter from d)::bigint';
CREATE OR REPLACE FUNCTION isodow(d date) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT extract(isodow from d)::bigint';

CREATE OR REPLACE FUNCTION date_diff(part text, a date, b date) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lower(part)
        WHEN 'day' THEN (b - a)::bigint
        WHEN 'month' THEN ((extract(year from b) - extract(year from a)) * 12
                           + extract(month from b) - extract(month from a))::bigint
        WHEN 'year' THEN (extract(year from b) - extract(year from a))::bigint
        ELSE NULL END
$$;

-- lists (PostgreSQL arrays): 1-based, as in DuckDB
CREATE OR REPLACE FUNCTION list_contains(l anyarray, x anyelement) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT x = ANY(l)';
CREATE OR REPLACE FUNCTION list_extract(l anyarray, i integer) RETURNS anyelement
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT l[i]';
CREATE OR REPLACE FUNCTION len(l anyarray) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT coalesce(cardinality(l), 0)::bigint';
CREATE OR REPLACE FUNCTION len(t text) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT length(t)::bigint';

-- aggregates DuckDB has: any_value (PostgreSQL 16 has its own), arg_max/arg_min, median
CREATE OR REPLACE FUNCTION _sc_first(a anyelement, b anyelement) RETURNS anyelement
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT coalesce(a, b)';
DO $$ BEGIN
    IF current_setting('server_version_num')::int < 160000 THEN
        CREATE OR REPLACE AGGREGATE any_value(anyelement) (SFUNC = _sc_first, STYPE = anyelement);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION _sc_median(v double precision[]) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(v) AS u(x)
$$;
CREATE OR REPLACE AGGREGATE median(double precision) (
    SFUNC = array_append, STYPE = double precision[], FINALFUNC = _sc_median, INITCOND = '{}');

-- Each customer's first won deal ever, and the close date of their second (metrics/base.py
-- first_won; DuckDB computes the same rows once per data version and registers them)
CREATE OR REPLACE VIEW _first_won AS
WITH won AS (
    SELECT customer_id, order_id, deal_id, rep_id, channel, close_date FROM deals
    WHERE status = 'won' AND coalesce(amount, 0) >= 0 AND customer_id IS NOT NULL
      AND close_date IS NOT NULL
),
per_deal AS (
    SELECT customer_id, close_date AS d FROM won WHERE order_id IS NULL
    UNION ALL
    SELECT customer_id, min(close_date) FROM won WHERE order_id IS NOT NULL
    GROUP BY customer_id, order_id
),
ranked AS (
    SELECT customer_id, d, row_number() OVER (PARTITION BY customer_id ORDER BY d) AS n
    FROM per_deal
),
second AS (
    SELECT customer_id, max(d) FILTER (WHERE n = 2) AS second_close_date FROM ranked
    GROUP BY customer_id
),
firsts AS (
    SELECT customer_id, close_date, deal_id, rep_id, channel,
           row_number() OVER (PARTITION BY customer_id ORDER BY close_date, deal_id, rep_id, channel) AS n
    FROM won
)
SELECT f.customer_id, f.close_date, f.deal_id, f.rep_id, f.channel, s.second_close_date
FROM firsts f JOIN second s ON s.customer_id = f.customer_id
WHERE f.n = 1;

-- == incentives (payouts engine) ==========================================================
-- list_position(list, x): the 1-based position of x's first occurrence, NULL when absent
CREATE OR REPLACE FUNCTION list_position(l anyarray, x anyelement) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT array_position(l, x)';

-- == metrics and figures (customers, retention, goals) ===================================
-- date_trunc(part, date): DuckDB truncates a DATE to a TIMESTAMP (no time zone);
-- PostgreSQL would cast the date to timestamptz and follow the session's TimeZone
CREATE OR REPLACE FUNCTION date_trunc(part text, d date) RETURNS timestamp
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT date_trunc(part, d::timestamp)';
