"""Risk sharing: the methods of the sources, each worked in exact pence and explained line by line.

Plain functions over plain values (no database): the monitoring services feed them, the
Contracts tab and the reports show their explanations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from app.formatting import format_money, format_percent
from app.paths import resources_dir

PENNY = Decimal("0.01")
HUNDRED = Decimal(100)


class Method:
    CAPITATION = "capitation"
    HISTORICAL_USAGE = "historical_usage"
    BASELINE_SHARE = "baseline_share"
    GRADUATED_TOLERANCE = "graduated_tolerance"
    NO_RISK_SHARE = "no_risk_share"
    ALL = (CAPITATION, HISTORICAL_USAGE, BASELINE_SHARE, GRADUATED_TOLERANCE, NO_RISK_SHARE)


@dataclass(frozen=True)
class Band:
    """A band of over-performance, in percent of plan, and the commissioner's part of it."""

    from_percent: Decimal
    to_percent: Decimal
    commissioner_percent: Decimal


@dataclass(frozen=True)
class ToleranceStep:
    """One line of the explanation of a graduated tolerance."""

    description: str
    amount: Decimal
    commissioner: Decimal
    provider: Decimal


@dataclass(frozen=True)
class ToleranceResult:
    plan: Decimal
    actual: Decimal
    tolerance_percent: Decimal
    steps: list[ToleranceStep]
    commissioner_pays: Decimal
    provider_bears: Decimal

    @property
    def payment(self) -> Decimal:
        """What the commissioner pays the provider in all: the plan and its part of the rest."""
        return min(self.actual, self.plan) + self.commissioner_pays

    @property
    def explanation(self) -> list[str]:
        lines = [
            f"Plan {format_money(self.plan, pence=True)}, actual "
            f"{format_money(self.actual, pence=True)}, tolerance "
            f"{format_percent(self.tolerance_percent / HUNDRED, 0)}."
        ]
        lines += [
            f"{s.description}: {format_money(s.amount, pence=True)}, commissioner "
            f"{format_money(s.commissioner, pence=True)}, provider "
            f"{format_money(s.provider, pence=True)}"
            for s in self.steps
        ]
        pays = format_money(self.commissioner_pays, pence=True)
        bears = format_money(self.provider_bears, pence=True)
        lines.append(
            f"The commissioner pays {pays} of the over-performance and the provider bears {bears}."
        )
        return lines


def source_bands() -> tuple[list[Band], Decimal]:
    """The HIV bands of the source (25/75, 50/50, 75/25 for each 1%) and its 3% tolerance."""
    data = json.loads((resources_dir() / "reference" / "risk_sharing.json").read_text())
    tolerance = data["hiv_tolerance"]
    bands = [
        Band(
            Decimal(str(b["from_percent"])),
            Decimal(str(b["to_percent"])),
            Decimal(str(b["commissioner_share"])),
        )
        for b in tolerance["bands"]
    ]
    return bands, Decimal(str(max(tolerance["tolerance_percent_options"])))


def _pounds(value: Decimal) -> Decimal:
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def graduated_tolerance(
    plan: Decimal,
    actual: Decimal,
    tolerance_percent: Decimal | None = None,
    bands: Sequence[Band] | None = None,
) -> ToleranceResult:
    """Share over-performance band by band; beyond the tolerance the commissioner pays all.

    Below plan nothing is shared: the commissioner pays for the activity done.
    """
    if bands is None or tolerance_percent is None:
        default_bands, default_tolerance = source_bands()
        bands = default_bands if bands is None else bands
        tolerance_percent = default_tolerance if tolerance_percent is None else tolerance_percent
    over = max(Decimal(0), actual - plan)
    steps: list[ToleranceStep] = []
    commissioner = provider = Decimal(0)
    for band in bands:
        if band.from_percent >= tolerance_percent:
            break
        top = min(band.to_percent, tolerance_percent)
        low_amount = _pounds(plan * band.from_percent / HUNDRED)
        high_amount = _pounds(plan * top / HUNDRED)
        amount = max(Decimal(0), min(over, high_amount) - low_amount)
        share = _pounds(amount * band.commissioner_percent / HUNDRED)
        steps.append(
            ToleranceStep(
                f"{_plain(band.from_percent)}% to {_plain(top)}% above plan, "
                f"{_plain(band.commissioner_percent)}/"
                f"{_plain(HUNDRED - band.commissioner_percent)}",
                amount,
                share,
                amount - share,
            )
        )
        commissioner += share
        provider += amount - share
    limit = _pounds(plan * tolerance_percent / HUNDRED)
    beyond = max(Decimal(0), over - limit)
    steps.append(
        ToleranceStep(
            f"beyond the {_plain(tolerance_percent)}% tolerance, commissioner pays all",
            beyond,
            beyond,
            Decimal(0),
        )
    )
    commissioner += beyond
    return ToleranceResult(plan, actual, tolerance_percent, steps, commissioner, provider)


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class ShareLine:
    """One member's part of an amount, and how it was worked out."""

    code: str
    basis: Decimal
    share: Decimal
    amount: Decimal
    explanation: str


@dataclass(frozen=True)
class Apportionment:
    method: str
    amount: Decimal
    lines: list[ShareLine] = field(default_factory=list)

    @property
    def explanation(self) -> list[str]:
        return [line.explanation for line in self.lines]


def apportion(amount: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Split `amount` in proportion to `weights`, to the penny, adding up exactly.

    Pennies left by rounding down go to the largest remainders (ties to the first code).
    """
    total = sum(weights.values(), Decimal(0))
    if total <= 0:
        raise ValueError("the shares add up to nothing")
    pennies = int((amount / PENNY).to_integral_value(rounding=ROUND_HALF_UP))
    sign = -1 if pennies < 0 else 1
    exact = {code: abs(pennies) * weight / total for code, weight in weights.items()}
    parts = {code: int(value) for code, value in exact.items()}
    left = abs(pennies) - sum(parts.values())
    for code in sorted(exact, key=lambda c: (-(exact[c] - parts[c]), list(weights).index(c)))[
        :left
    ]:
        parts[code] += 1
    return {code: sign * Decimal(parts[code]) * PENNY for code in weights}


def _lines(
    method: str, amount: Decimal, weights: Mapping[str, Decimal], basis_text: str
) -> Apportionment:
    total = sum(weights.values(), Decimal(0))
    parts = apportion(amount, weights)
    lines = []
    for code, weight in weights.items():
        share = weight / total
        lines.append(
            ShareLine(
                code,
                weight,
                share,
                parts[code],
                f"{code}: {basis_text.format(basis=weight)} = {format_percent(share, 2)} of "
                f"{format_money(amount, pence=True)} = {format_money(parts[code], pence=True)}",
            )
        )
    return Apportionment(method, amount, lines)


def by_capitation(amount: Decimal, shares: Mapping[str, Decimal]) -> Apportionment:
    """Each member pays its weighted capitation share."""
    return _lines(Method.CAPITATION, amount, shares, "capitation share {basis}")


def by_historical_usage(
    amount: Decimal, usage: Mapping[str, Sequence[Decimal]], years: int = 3
) -> Apportionment:
    """Each member pays in proportion to its average use over the last `years` years.

    `usage` lists each member's activity (or cost) year by year, oldest first; the London
    consortia used a 3-year rolling average.
    """
    if years < 1:
        raise ValueError("the rolling period must be at least one year")
    averages = {}
    for code, history in usage.items():
        recent = list(history)[-years:]
        averages[code] = sum(recent, Decimal(0)) / len(recent) if recent else Decimal(0)
    return _lines(
        Method.HISTORICAL_USAGE, amount, averages, f"{years}-year average use {{basis:.2f}}"
    )


def by_baseline_share(overspend: Decimal, baselines: Mapping[str, Decimal]) -> Apportionment:
    """A consortium overspend paid by each member's share of the baseline budget."""
    return _lines(Method.BASELINE_SHARE, overspend, baselines, "baseline £{basis:,.2f}")


@dataclass(frozen=True)
class Comparison:
    """A member's part by capitation and by historical usage, as NORCOM compared them."""

    code: str
    by_capitation: Decimal
    by_usage: Decimal

    @property
    def difference(self) -> Decimal:
        return self.by_usage - self.by_capitation


def capitation_against_usage(
    amount: Decimal,
    shares: Mapping[str, Decimal],
    usage: Mapping[str, Sequence[Decimal]],
    years: int = 3,
) -> list[Comparison]:
    capitation = {line.code: line.amount for line in by_capitation(amount, shares).lines}
    history = {code: usage.get(code, [Decimal(0)]) for code in shares}
    used = {line.code: line.amount for line in by_historical_usage(amount, history, years).lines}
    return [Comparison(code, capitation[code], used[code]) for code in shares]
