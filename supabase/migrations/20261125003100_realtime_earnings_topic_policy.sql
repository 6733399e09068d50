-- Who may join an earnings channel: only its beneficiary.
--
-- Supabase Realtime authorizes a private channel join by inserting a probe row into
-- realtime.messages for the topic, then, as the client's role with its JWT claims and
-- `realtime.topic` set locally, selecting the probe: a visible probe grants `read`. This
-- policy makes an `earnings:<user id>` row visible only to that signed-in user, and only
-- while the channel being authorized is that same topic. No insert policy: users may not
-- send on their earnings channel (only the database does, as its owner).

create policy earnings_topic_select_own on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = 'earnings:' || (select auth.uid())::text
    and realtime.messages.topic = (select realtime.topic())
  );
comment on policy earnings_topic_select_own on realtime.messages is
  'Eightfold: a signed-in user may receive broadcasts on earnings:<their user id>, and no other earnings topic.';
