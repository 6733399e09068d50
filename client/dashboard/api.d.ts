// Types of api.js: the dashboard's view model (amounts are decimal strings).
export class ApiFailure extends Error {
  kind: 'unreachable' | 'http';
  status: number;
  code: string;
  field: string | null;
}
export interface TreeNode {
  id: string;
  name: string;
  root?: boolean;
  level?: number;
  active: boolean;
  direct: number;
  max: number;
  earned: string;
  children: TreeNode[];
}
export interface Report {
  profile: unknown;
  totals: { credited: string; forfeited: string; reversed: string; net: string; today: string; month: string };
  byLevel: { level: number; credited: string; forfeited: string; reversed: string; net: string }[];
  byLeg: { leg_id: string; name: string; total: string; credited: string; forfeited: string }[];
  tree: TreeNode;
  overTime: { label: string; credited: string; reversed: string; forfeited: string; net: string }[];
  treeTruncated: boolean;
}
export interface FeedItem {
  earning_id: string;
  beneficiary_id: string | null;
  kind: string;
  status: string;
  level: number;
  amount: string;
  source_name: string | null;
  leg_name: string | null;
  leg_id: string | null;
  created_at: string | null;
}
export function toReport(parts: {
  summary: unknown;
  today: unknown;
  month: unknown;
  series: unknown;
  tree: unknown;
  profile: unknown;
}): Report;
export function toTree(tree: unknown, profile: unknown): TreeNode;
export function addDays(date: string, n: number): string;
export function liveUrl(
  token: string,
  options?: { all?: boolean; userId?: string; purpose?: string; lastEventId?: string },
): Promise<string>;
export function request(path: string, options?: { token?: string; method?: string; body?: unknown }): Promise<any>;
export function roleOfToken(token: string): 'authenticated' | 'service_role';
export function browserTimeZone(): string;
export const config: { supabaseUrl?: string; supabaseAnonKey?: string; apiUrl?: string };
export const supabaseMode: boolean;
export function apiUrl(path: string): string;
export function recent(
  token: string,
  userId: string | undefined,
  options?: { before?: string; purpose?: string; limit?: number },
): Promise<{ items: FeedItem[]; next: string | null }>;
export function liveResume(token: string): Promise<string>;
export function liveSince(token: string, cursor: string, max?: number): Promise<unknown[] | null>;
