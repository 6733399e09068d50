// The earning event both live feeds deliver (SSE and Supabase Realtime), defined once:
// the server builds it (functions/live/hub.ts, and the database trigger in
// supabase/migrations/20261125003000_live_earnings_publish.sql), the clients read it.

/** One ledger row as the live feeds send it. Money as exact decimal strings. */
export interface LiveEarning {
  earning_id: number;
  kind: 'commission' | 'reversal';
  status: 'credited' | 'forfeited';
  /** Decimal string, negative for a reversal: "7500.00", "-50.00". */
  amount: string;
  currency: 'INR';
  level: number;
  /** The beneficiary's direct referral whose subtree the money came from. */
  leg_id: string;
  purchase_id: string;
  /** For a reversal, the commission it reverses. */
  reverses_id: number | null;
  /** The buyer's masked name (eightfold.mask_name), e.g. "Chitra M.", never the full name. */
  source_name: string;
  created_at: string;
  /** Only on the operator stream. */
  beneficiary_id?: string;
}
