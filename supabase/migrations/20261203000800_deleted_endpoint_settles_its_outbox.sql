-- A deleted webhook endpoint settles its outbox.
--
-- Deleting an endpoint (DELETE /v1/operator/webhooks/{id}, or any update that sets
-- deleted_at) stopped its deliveries but left its pending messages pending for ever: the
-- worker no longer claims a deleted endpoint, so they stayed in the pending index and in
-- the endpoint's `pending` count. Now the deletion marks them in the same transaction as
-- not sent (delivered_at set, last_error 'not sent: the endpoint was deleted'), the way
-- an erasure marks the messages about an erased person.

create function eightfold.webhook_endpoints_settle_deleted() returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  update eightfold.webhook_outbox o
  set delivered_at = now(), last_error = 'not sent: the endpoint was deleted'
  where o.endpoint_id = new.endpoint_id and o.delivered_at is null;
  return null;
end
$$;
revoke execute on function eightfold.webhook_endpoints_settle_deleted() from public;
comment on function eightfold.webhook_endpoints_settle_deleted() is
  'Trigger on eightfold.webhook_endpoints: when an endpoint is deleted, its pending outbox messages are marked as not sent.';

create trigger webhook_endpoints_settle_deleted after update of deleted_at on eightfold.webhook_endpoints
  for each row when (old.deleted_at is null and new.deleted_at is not null)
  execute function eightfold.webhook_endpoints_settle_deleted();
