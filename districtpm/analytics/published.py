"""Working with published school-level figures: rolling grade rows up to the school."""

from __future__ import annotations

import duckdb
import pandas as pd


def rollup_check(con: duckdb.DuckDBPyConnection, source: str | None = None) -> pd.DataFrame:
    """For every school, period and measure with an all-grades row: the rate rolled up from the
    grade rows (sum of numerators over sum of denominators, never an average of percentages)
    beside the published one.

    `comparable` is true when the grade rows are unsuppressed and account for every student in
    the published denominator (for counts, which have none: when no grade row is suppressed);
    only then must the two agree.
    """
    where = "AND source = ?" if source else ""
    params = [source] if source else []
    return con.execute(
        f"""
        WITH grades AS (
            SELECT source, entity_code, period, measure,
                   sum(numerator) AS numerator, sum(denominator) AS denominator,
                   bool_or(suppressed) AS any_suppressed, count(*) AS grade_rows
            FROM school_values
            WHERE grade NOT IN ('all') AND group_name = 'all' {where}
            GROUP BY ALL
        ), published AS (
            SELECT source, entity_code, period, measure, numerator, denominator
            FROM school_values
            WHERE grade = 'all' AND group_name = 'all' AND NOT suppressed
                  AND numerator IS NOT NULL {where}
        )
        SELECT p.source, p.entity_code, p.period, p.measure, g.grade_rows,
               g.numerator AS rolled_numerator, g.denominator AS rolled_denominator,
               p.numerator AS published_numerator, p.denominator AS published_denominator,
               g.numerator / nullif(g.denominator, 0) AS rolled_rate,
               p.numerator / nullif(p.denominator, 0) AS published_rate,
               (NOT g.any_suppressed AND (p.denominator IS NULL
                    OR g.denominator = p.denominator)) AS comparable
        FROM published p JOIN grades g USING (source, entity_code, period, measure)
        ORDER BY p.source, p.measure, p.entity_code, p.period
        """,
        params * 2,
    ).df()
