// Money in the dashboard is a decimal string ("7500.00"), as the API sends it. Sums are
// done in integer paise with BigInt; nothing here does float arithmetic on money.
// Number() is used only for chart geometry (bar heights), never for a shown amount.

const INR = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR' });

/** "1234.5" | "-0.01" | 12 -> 123450n | -1n | 1200n. Throws on anything else. */
export function toPaise(value) {
  const s = String(value ?? '0').trim();
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) throw new Error(`not a money amount: ${s}`);
  const paise = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0') || '0');
  return m[1] ? -paise : paise;
}

/** 123450n -> "1234.50" */
export function fromPaise(paise) {
  const neg = paise < 0n;
  const abs = neg ? -paise : paise;
  const rupees = abs / 100n;
  const rest = (abs % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}${rupees}.${rest}`;
}

/** Exact sum of decimal strings. */
export function sum(values) {
  let total = 0n;
  for (const v of values) total += toPaise(v);
  return fromPaise(total);
}

/** Normalises any accepted amount to two decimals ("12" -> "12.00"). */
export function normal(value) {
  return fromPaise(toPaise(value));
}

/** "1234567.50" -> "₹12,34,567.50". Intl formats a decimal string exactly. */
export function inr(value) {
  return INR.format(normal(value));
}

/** For chart geometry only. */
export function toChartNumber(value) {
  return Number(normal(value));
}

export function isZero(value) {
  return toPaise(value) === 0n;
}
