"""Funnel, forecast, quotas, weekly forecast snapshots and forecast accuracy.

Definitions (also in docs/forecasts.md):

- **Period**: a calendar month (``2026-11``), quarter (``2026-Q4``) or year (``2026``)
  in the company time zone (``settings.TIME_ZONE``). A deal closed at 23:30 Shanghai
  time on 31 December belongs to that year, whatever the UTC date.
- **Pipeline** of a period: open deals whose expected close date falls in it.
- **Weighted**: the sum over those deals of amount × the win probability of the stage
  the deal is in.
- **Commit**: open deals in stages whose probability is at least the commit threshold
  (an administrator's setting, 75 % unless changed) plus the deals won in the period.
- **Best case**: every open deal of the period plus the deals won in it.
- **Closed-won**: won deals whose ``closed_at`` falls in the period.
- **Quota**: an amount set for one user or one team and one period. A quarter or year
  without a quota of its own falls back to the sum of its months' quotas.
- **Attainment**: closed-won ÷ quota.
- **Currency**: figures add up amounts in ``DEFAULT_CURRENCY`` only. Deals in other
  currencies are summed per currency and shown apart; no exchange rate is invented.
- **Funnel**: the deals of a pipeline that reached each stage during the period (from
  their stage changes). Reaching a stage counts as reaching every earlier open stage,
  so a deal that skipped a stage still passed it; the conversion rate of a stage is
  the share of the deals that reached it which went on to reach the next one.
- **Snapshot**: once a week (and whenever an administrator asks) the forecast of the
  current month, quarter and year is written per owner and per team; re-running in the
  same week updates that week's rows. **Accuracy** of a past period at a snapshot is
  the period's final closed-won ÷ the forecast (commit, and weighted) taken that week.

Everything is read through ``visible_to(user, Deal)``: a rep's forecast adds up only
the deals the rep may see.
"""
