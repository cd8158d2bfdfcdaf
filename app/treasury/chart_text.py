"""The treasury charts in words: each chart's alt text holds the numbers it draws, so a reader
who cannot see the picture (or whose browser does not load it) loses nothing."""

from __future__ import annotations

from flask_babel import gettext as _

from app.treasury.charts import every_month, yuan
from app.treasury.reports import BudgetLine, Summary


def over_time(months: list[tuple[str, int, int, int]]) -> str:
    if not months:
        return _("Income, spending and balance by month: no transaction yet.")
    filled = every_month(months)
    parts = [
        _(
            "Income, spending and balance by month, %(first)s to %(last)s.",
            first=filled[0][0],
            last=filled[-1][0],
        )
    ]
    quiet = 0
    for month, income, spending, balance in filled:
        if not income and not spending:
            quiet += 1
            continue
        parts.append(
            _(
                "%(month)s: income %(income)s, spending %(spending)s, balance %(balance)s.",
                month=month,
                income=yuan(income),
                spending=yuan(spending),
                balance=yuan(balance),
            )
        )
    if quiet:
        parts.append(_("No income or spending in the other %(n)d months.", n=quiet))
    return " ".join(parts)


def by_purpose(summary: Summary, names: dict[str, str]) -> str:
    spent = {p: fen for p, fen in sorted(summary.by_purpose.items()) if fen > 0}
    total = sum(spent.values())
    if not total:
        return _("Spending by purpose: nothing spent yet.")
    shares = [
        _(
            "%(purpose)s %(amount)s (%(share)s%%)",
            purpose=names.get(p, p),
            amount=yuan(fen),
            share=f"{100 * fen / total:.1f}",
        )
        for p, fen in spent.items()
    ]
    return _("Spending by purpose, %(total)s in all:", total=yuan(total)) + " " + "; ".join(shares)


def budgets(lines: list[BudgetLine]) -> str:
    if not lines:
        return _("Budgets: none authorised yet.")
    parts = [_("Budgets, spent and remaining:")]
    parts += [
        _(
            "%(budget)s: spent %(spent)s, remaining %(remaining)s.",
            budget=line.budget.id,
            spent=yuan(line.spent_fen),
            remaining=yuan(line.remaining_fen),
        )
        for line in lines
    ]
    return " ".join(parts)
