// Types of money.js (the page is plain JavaScript; these serve the Node tests and tsc).
export function toPaise(value: string | number | null | undefined): bigint;
export function fromPaise(paise: bigint): string;
export function sum(values: Iterable<string>): string;
export function normal(value: string | number | null | undefined): string;
export function inr(value: string | number): string;
export function toChartNumber(value: string): number;
export function isZero(value: string): boolean;
