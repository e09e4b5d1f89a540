//! Quote totals: the one pure function every view, document and order uses. Nothing here
//! is stored or merged; totals are always computed again from the lines.
//!
//! The rule (README "Quote totals" and `man outpost-quote` say the same):
//!
//! 1. line net = quantity x unit price x (100 - line discount %) / 100, rounded once to
//!    the currency's minor unit, half away from zero (JPY 0 decimals, EUR 2, KWD 3);
//! 2. subtotal = the sum of the line nets;
//! 3. quote discount = subtotal x quote discount % / 100, rounded;
//! 4. net = subtotal - quote discount;
//! 5. per tax rate: base = the sum of the nets of the lines at that rate, less the quote
//!    discount's share: base x (100 - quote discount %) / 100 (shown rounded); tax = that
//!    exact discounted base x rate / 100, rounded once;
//! 6. grand total = net + the sum of the taxes.
//!
//! Every amount is a `rust_decimal::Decimal`; an amount too large to compute exactly is an
//! error, never a wrapped or float value.

use rust_decimal::Decimal;

use super::money::{pad_to_minor, round_to_minor};

/// What the totals need of one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LineIn {
    /// How many.
    pub quantity: Decimal,
    /// Price of one.
    pub unit_price: Decimal,
    /// Line discount in percent.
    pub discount_pct: Decimal,
    /// Tax rate in percent.
    pub tax_pct: Decimal,
}

/// The tax at one rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxRow {
    /// The rate in percent.
    pub rate: Decimal,
    /// The discounted base the tax is on (rounded for display).
    pub base: Decimal,
    /// The tax.
    pub tax: Decimal,
}

/// A quote's totals, every amount rounded to the currency's minor unit and padded to its
/// digits ("10.00", "1000" for JPY, "1.500" for KWD).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totals {
    /// The currency.
    pub currency: String,
    /// Each line's net, in the order the lines were given.
    pub line_nets: Vec<Decimal>,
    /// Sum of the line nets.
    pub subtotal: Decimal,
    /// The quote-level discount in percent.
    pub discount_pct: Decimal,
    /// The quote-level discount amount.
    pub discount: Decimal,
    /// Subtotal less the quote discount.
    pub net: Decimal,
    /// Tax per rate, lowest rate first.
    pub taxes: Vec<TaxRow>,
    /// Sum of the taxes.
    pub tax: Decimal,
    /// Net plus tax.
    pub grand_total: Decimal,
}

/// Why totals could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TotalsError {
    /// An amount outgrew what is computed exactly.
    #[error("the quote's amounts are too large to compute exactly (line {0})")]
    Overflow(usize),
    /// A percentage outside 0..=100 or a negative quantity or price.
    #[error("{0}")]
    Invalid(String),
}

/// The rule, as the `quote` man page and README print it (a test keeps README equal).
pub const RULE: &str = "\
Quote totals (one function computes them for every view, document and order):
  1. line net = quantity x unit price x (100 - line discount %) / 100, rounded once to
     the currency's minor unit, half away from zero (JPY 0 decimals, EUR 2, KWD 3);
  2. subtotal = the sum of the line nets;
  3. quote discount = subtotal x quote discount % / 100, rounded;
  4. net = subtotal - quote discount;
  5. per tax rate: base = the nets of the lines at that rate x (100 - quote discount %)
     / 100 (shown rounded); tax = that base, unrounded, x rate / 100, rounded once;
  6. grand total = net + the taxes.";

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;
/// 1/100: multiplying by it is exact (a shift of the scale) and much cheaper than
/// dividing by 100.
const CENT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

fn pct_ok(what: &str, p: Decimal) -> Result<(), TotalsError> {
    if p.is_sign_negative() && !p.is_zero() || p > HUNDRED {
        return Err(TotalsError::Invalid(format!("{what} {p}% is outside 0-100%")));
    }
    Ok(())
}

/// Rounds to the currency's minor unit (half away from zero) and pads to its digits.
#[must_use]
pub fn money(amount: Decimal, currency: &str) -> Decimal {
    let mut m = pad_to_minor(round_to_minor(amount, currency), currency);
    if m.is_zero() {
        m.set_sign_positive(true);
    }
    m
}

/// One line's net: quantity x unit price less the line discount, rounded once.
pub fn line_net(line: &LineIn, currency: &str) -> Result<Decimal, TotalsError> {
    exact_line(line)
        .map(|x| money(x, currency))
        .ok_or(TotalsError::Overflow(0))
}

fn exact_line(line: &LineIn) -> Option<Decimal> {
    line.quantity
        .checked_mul(line.unit_price)?
        .checked_mul(HUNDRED - line.discount_pct)?
        .checked_mul(CENT)
}

/// The totals of lines in `currency` with a quote-level discount (see the module rule).
pub fn totals(currency: &str, lines: &[LineIn], discount_pct: Decimal) -> Result<Totals, TotalsError> {
    pct_ok("the quote discount", discount_pct)?;
    let mut line_nets = Vec::with_capacity(lines.len());
    let mut subtotal = Decimal::ZERO;
    // (rate, sum of line nets at that rate), kept sorted by rate.
    let mut bases: Vec<(Decimal, Decimal)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let n = i + 1;
        pct_ok(&format!("line {n}: the discount"), l.discount_pct)?;
        pct_ok(&format!("line {n}: the tax"), l.tax_pct)?;
        if l.quantity.is_sign_negative() && !l.quantity.is_zero() {
            return Err(TotalsError::Invalid(format!(
                "line {n}: quantity {} is negative",
                l.quantity
            )));
        }
        if l.unit_price.is_sign_negative() && !l.unit_price.is_zero() {
            return Err(TotalsError::Invalid(format!(
                "line {n}: price {} is negative",
                l.unit_price
            )));
        }
        let net = money(exact_line(l).ok_or(TotalsError::Overflow(n))?, currency);
        subtotal = subtotal.checked_add(net).ok_or(TotalsError::Overflow(n))?;
        let rate = l.tax_pct.normalize();
        match bases.binary_search_by(|(r, _)| r.cmp(&rate)) {
            Ok(at) => bases[at].1 = bases[at].1.checked_add(net).ok_or(TotalsError::Overflow(n))?,
            Err(at) => bases.insert(at, (rate, net)),
        }
        line_nets.push(net);
    }
    let over = || TotalsError::Overflow(lines.len());
    let discount = money(
        subtotal
            .checked_mul(discount_pct)
            .and_then(|x| x.checked_mul(CENT))
            .ok_or_else(over)?,
        currency,
    );
    let net = money(subtotal - discount, currency);
    let keep = HUNDRED - discount_pct;
    let mut taxes = Vec::with_capacity(bases.len());
    let mut tax = Decimal::ZERO;
    for (rate, base) in bases {
        let discounted = base
            .checked_mul(keep)
            .and_then(|x| x.checked_mul(CENT))
            .ok_or_else(over)?;
        let t = money(
            discounted
                .checked_mul(rate)
                .and_then(|x| x.checked_mul(CENT))
                .ok_or_else(over)?,
            currency,
        );
        tax = tax.checked_add(t).ok_or_else(over)?;
        taxes.push(TaxRow {
            rate,
            base: money(discounted, currency),
            tax: t,
        });
    }
    let grand_total = money(net.checked_add(tax).ok_or_else(over)?, currency);
    Ok(Totals {
        currency: currency.to_string(),
        line_nets,
        subtotal: money(subtotal, currency),
        discount_pct: discount_pct.normalize(),
        discount,
        net,
        taxes,
        tax: money(tax, currency),
        grand_total,
    })
}

/// The largest discount any line gets, its own combined with the quote's:
/// 100 - (100 - line %) x (100 - quote %) / 100. What approval limits are checked against.
#[must_use]
pub fn max_discount(lines: &[LineIn], discount_pct: Decimal) -> Decimal {
    let keep_q = HUNDRED - discount_pct;
    let worst = lines
        .iter()
        .map(|l| HUNDRED - (HUNDRED - l.discount_pct) * keep_q / HUNDRED)
        .max()
        .unwrap_or(discount_pct);
    worst.max(discount_pct).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn line(q: &str, p: &str, disc: &str, tax: &str) -> LineIn {
        LineIn {
            quantity: d(q),
            unit_price: d(p),
            discount_pct: d(disc),
            tax_pct: d(tax),
        }
    }

    fn s(x: Decimal) -> String {
        x.to_string()
    }

    #[test]
    fn both_discount_levels_and_two_tax_rates_by_hand() {
        // 3 x 19.99 less 10% = 53.973 -> 53.97 (19%)
        // 1 x 100.00         = 100.00          (7%)
        // 2 x 0.125 less 0%  = 0.25            (19%)
        // subtotal 154.22; quote discount 5% = 7.711 -> 7.71; net 146.51
        // 19%: base 54.22 x 0.95 = 51.509 (shown 51.51), tax 9.78671 -> 9.79
        //  7%: base 100.00 x 0.95 = 95.00, tax 6.65
        // grand 146.51 + 16.44 = 162.95
        let t = totals(
            "EUR",
            &[
                line("3", "19.99", "10", "19"),
                line("1", "100", "0", "7"),
                line("2", "0.125", "0", "19"),
            ],
            d("5"),
        )
        .expect("totals");
        assert_eq!(
            t.line_nets.iter().map(|x| s(*x)).collect::<Vec<_>>(),
            ["53.97", "100.00", "0.25"]
        );
        assert_eq!(s(t.subtotal), "154.22");
        assert_eq!(s(t.discount), "7.71");
        assert_eq!(s(t.net), "146.51");
        assert_eq!(t.taxes.len(), 2);
        assert_eq!(
            (s(t.taxes[0].rate), s(t.taxes[0].base), s(t.taxes[0].tax)),
            ("7".into(), "95.00".into(), "6.65".into())
        );
        assert_eq!(
            (s(t.taxes[1].rate), s(t.taxes[1].base), s(t.taxes[1].tax)),
            ("19".into(), "51.51".into(), "9.79".into())
        );
        assert_eq!(s(t.tax), "16.44");
        assert_eq!(s(t.grand_total), "162.95");
    }

    #[test]
    fn half_cents_round_away_from_zero() {
        // 1 x 0.125 = 0.125 -> 0.13; 0.005 tax -> 0.01
        let t = totals("EUR", &[line("1", "0.125", "0", "0")], Decimal::ZERO).expect("totals");
        assert_eq!(s(t.grand_total), "0.13");
        let t = totals("EUR", &[line("1", "0.10", "0", "5")], Decimal::ZERO).expect("totals");
        assert_eq!(s(t.tax), "0.01");
        assert_eq!(s(t.grand_total), "0.11");
        // The classic VAT case: 3 lines of 0.35 at 19% tax on the sum, not per line.
        let t = totals("EUR", &[line("1", "0.35", "0", "19"); 3], Decimal::ZERO).expect("totals");
        assert_eq!(s(t.tax), "0.20"); // 1.05 x 0.19 = 0.1995, not 3 x 0.07 = 0.21
        assert_eq!(s(t.grand_total), "1.25");
    }

    #[test]
    fn yen_has_no_minor_unit() {
        // 3 x 333 less 15% = 849.15 -> 849; 10% tax 84.9 -> 85; total 934
        let t = totals("JPY", &[line("3", "333", "15", "10")], Decimal::ZERO).expect("totals");
        assert_eq!(s(t.line_nets[0]), "849");
        assert_eq!(s(t.tax), "85");
        assert_eq!(s(t.grand_total), "934");
        // 0.5 yen rounds away from zero: 1 x 2.5 -> 3
        let t = totals("JPY", &[line("1", "2.5", "0", "0")], Decimal::ZERO).expect("totals");
        assert_eq!(s(t.grand_total), "3");
    }

    #[test]
    fn dinar_has_three() {
        // 7 x 1.2345 = 8.6415 -> 8.642 (KWD has 3 decimals); 5% quote discount 0.4321 -> 0.432
        // net 8.210; tax 0%; total 8.210
        let t = totals("KWD", &[line("7", "1.2345", "0", "0")], d("5")).expect("totals");
        assert_eq!(s(t.line_nets[0]), "8.642");
        assert_eq!(s(t.discount), "0.432");
        assert_eq!(s(t.grand_total), "8.210");
        let t = totals("KWD", &[line("1", "10", "0", "0")], Decimal::ZERO).expect("totals");
        assert_eq!(s(t.grand_total), "10.000");
    }

    #[test]
    fn large_quantities_stay_exact() {
        // 1,000,000,000 x 999,999.99 = 999,999,990,000,000.00 at 20% = 199,999,998,000,000.00
        let t = totals("EUR", &[line("1000000000", "999999.99", "0", "20")], Decimal::ZERO).expect("totals");
        assert_eq!(s(t.subtotal), "999999990000000.00");
        assert_eq!(s(t.tax), "199999998000000.00");
        assert_eq!(s(t.grand_total), "1199999988000000.00");
        // A fractional quantity: 2.5 h x 80.10 = 200.25
        let t = totals("EUR", &[line("2.5", "80.10", "0", "0")], Decimal::ZERO).expect("totals");
        assert_eq!(s(t.grand_total), "200.25");
        // Past what is exact: an error, not a wrapped number.
        let huge = line("79228162514264337593543950335", "2", "0", "0");
        assert_eq!(totals("EUR", &[huge], Decimal::ZERO), Err(TotalsError::Overflow(1)));
    }

    #[test]
    fn empty_full_discount_and_bad_percentages() {
        let t = totals("EUR", &[], d("10")).expect("totals");
        assert_eq!(s(t.grand_total), "0.00");
        assert!(t.taxes.is_empty());
        let t = totals("EUR", &[line("2", "50", "100", "19")], Decimal::ZERO).expect("totals");
        assert_eq!(s(t.grand_total), "0.00");
        let t = totals("EUR", &[line("2", "50", "0", "19")], d("100")).expect("totals");
        assert_eq!(
            (s(t.discount), s(t.tax), s(t.grand_total)),
            ("100.00".into(), "0.00".into(), "0.00".into())
        );
        assert!(totals("EUR", &[], d("101")).is_err());
        assert!(totals("EUR", &[line("1", "1", "0", "-1")], Decimal::ZERO).is_err());
    }

    #[test]
    fn readme_states_the_rule() {
        assert!(
            include_str!("../../README.md").contains(RULE),
            "README's totals rule differs from totals::RULE"
        );
    }

    #[test]
    fn the_largest_discount_combines_both_levels() {
        let lines = [line("1", "1", "10", "0"), line("1", "1", "0", "0")];
        assert_eq!(s(max_discount(&lines, d("10"))), "19");
        assert_eq!(s(max_discount(&lines, Decimal::ZERO)), "10");
        assert_eq!(s(max_discount(&[], d("5"))), "5");
    }

    proptest::proptest! {
        /// The parts always add up: nets to the subtotal, net + taxes to the total, and
        /// every amount has the currency's digits.
        #[test]
        fn parts_add_up(
            lines in proptest::collection::vec((0u32..1000, 0u64..10_000_000, 0u32..=100, proptest::sample::select(vec![0u32, 5, 7, 10, 19, 20, 25])), 0..20),
            q in 0u32..=100,
            cur in proptest::sample::select(vec!["EUR", "JPY", "KWD"]),
        ) {
            let ls: Vec<LineIn> = lines.iter().map(|(qty, cents, disc, tax)| LineIn {
                quantity: Decimal::from(*qty),
                unit_price: Decimal::new(i64::try_from(*cents).unwrap_or(0), 3),
                discount_pct: Decimal::from(*disc),
                tax_pct: Decimal::from(*tax),
            }).collect();
            let t = totals(cur, &ls, Decimal::from(q)).expect("totals");
            let digits = crate::model::money::minor_digits(cur).unwrap_or(2);
            proptest::prop_assert_eq!(t.line_nets.iter().copied().sum::<Decimal>(), t.subtotal);
            proptest::prop_assert_eq!(t.subtotal - t.discount, t.net);
            proptest::prop_assert_eq!(t.taxes.iter().map(|r| r.tax).sum::<Decimal>(), t.tax);
            proptest::prop_assert_eq!(t.net + t.tax, t.grand_total);
            for x in [t.subtotal, t.discount, t.net, t.tax, t.grand_total] {
                proptest::prop_assert_eq!(x.scale(), digits);
            }
        }
    }
}
