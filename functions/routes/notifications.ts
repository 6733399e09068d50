// The signed-in user's notifications (docs/notifications.md). Each route runs as that user
// and calls the public.* function a supabase-js app calls with .rpc():
//   GET  /v1/notifications?unread=true&before=<id>&limit=   public.my_notifications(...)
//   GET  /v1/notifications/unread-count                     public.my_unread_notification_count()
//   POST /v1/notifications/read {ids} | {all: true}          public.mark_notifications_read(ids, all)
//   GET  /v1/notifications/preferences                      public.my_notification_preferences()
//   PUT  /v1/notifications/preferences {kinds?, browser?}    public.set_my_notification_preferences(...)
// New and updated notifications also arrive on the live feed as `notification` events
// (functions/live/event.ts). The service key is refused (403 forbidden).
import { createRoute, z } from '@hono/zod-openapi';
import { asCaller, requireUser } from '../context.ts';
import { NOTIFICATION_KINDS, NotificationSchema, type Notification } from '../live/event.ts';
import { Limit, bearerSecurity, errorResponses, router } from './common.ts';

// A new object over the event module's shape: the module is plain zod (no OpenAPI
// extension, which zod 4 installs only on schemas made after it is loaded).
const NotificationOut = z.object(NotificationSchema.shape).openapi('Notification', {
  example: {
    notification_id: 41,
    kind: 'earned',
    title: '₹225.00 from 3 purchases',
    amount: '225.00',
    currency: 'INR',
    count: 3,
    member_id: null,
    member_name: null,
    data: {},
    read: false,
    read_at: null,
    created_at: '2026-12-01T10:00:02.114+00:00',
    updated_at: '2026-12-01T10:00:41.870+00:00',
  },
});

const Page = z
  .object({
    notifications: z.array(NotificationOut).openapi({ description: 'Newest first.' }),
    next_before: z.number().int().nullable().openapi({ description: 'Pass as ?before= for the next (older) page; null on the last page.' }),
  })
  .openapi('NotificationPage');

const Preferences = z
  .object({
    kinds: z.array(z.enum(NOTIFICATION_KINDS)).openapi({ description: 'The kinds you get (a kind left out is not written at all).' }),
    browser: z.boolean().openapi({ description: 'Whether the dashboard shows browser notifications (Notification API).' }),
    updated_at: z.string().nullable(),
  })
  .openapi('NotificationPreferences');

const ReadBody = z
  .union([z.object({ ids: z.array(z.number().int().positive()).min(1).max(500) }).strict(), z.object({ all: z.literal(true) }).strict()])
  .openapi('MarkNotificationsRead', { example: { ids: [41, 40] } });

const Tag = ['notifications'];

export function notificationRoutes() {
  const app = router();
  app.use('*', requireUser);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'My notifications, newest first (keyset-paged)',
      description:
        'Money notifications coalesce per minute: an import of 2,000 purchases makes one "₹X from 2000 purchases", not 2,000. Page with ?before=<next_before>.',
      tags: Tag,
      security: bearerSecurity,
      request: {
        query: z.object({
          unread: z.enum(['true', 'false']).optional().openapi({ description: 'true: only unread ones.' }),
          before: z.coerce.number().int().positive().optional().openapi({ description: 'Only notifications older than this id.' }),
          limit: Limit(200, 50),
        }),
      },
      responses: {
        200: { description: 'A page of notifications', content: { 'application/json': { schema: Page } } },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await asCaller(
        c,
        (tx) => tx<{ n: Notification }[]>`select n from public.my_notifications(${q.unread === 'true'}, ${q.before ?? null}, ${q.limit}) n`,
        { readOnly: true },
      );
      const notifications = rows.map((r) => r.n);
      const last = notifications[notifications.length - 1];
      return c.json({ notifications, next_before: notifications.length === q.limit && last ? last.notification_id : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/unread-count',
      summary: 'How many of my notifications are unread (the bell)',
      tags: Tag,
      security: bearerSecurity,
      responses: {
        200: {
          description: 'The count',
          content: { 'application/json': { schema: z.object({ unread: z.number().int() }).openapi('UnreadCount') } },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx<{ n: number }[]>`select public.my_unread_notification_count() as n`, {
        readOnly: true,
      });
      return c.json({ unread: row!.n }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/read',
      summary: 'Mark notifications read: some ids, or all',
      description:
        "Every id must be one of your notifications: if one is not (someone else's, or none), nothing changes and the answer is 404 notification_not_found.",
      tags: Tag,
      security: bearerSecurity,
      request: { body: { content: { 'application/json': { schema: ReadBody } }, required: true } },
      responses: {
        200: {
          description: 'How many changed, and the unread count after',
          content: {
            'application/json': {
              schema: z.object({ updated: z.number().int(), unread: z.number().int() }).openapi('NotificationsRead'),
            },
          },
        },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const ids = 'ids' in body ? body.ids : null;
      const row = await asCaller(c, async (tx) => {
        const [m] = await tx<{ updated: number }[]>`select public.mark_notifications_read(${ids}::bigint[], ${ids === null}) as updated`;
        const [u] = await tx<{ unread: number }[]>`select public.my_unread_notification_count() as unread`;
        return { updated: m!.updated, unread: u!.unread };
      });
      return c.json(row, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/preferences',
      summary: 'My notification preferences',
      tags: Tag,
      security: bearerSecurity,
      responses: {
        200: { description: 'The preferences', content: { 'application/json': { schema: Preferences } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx<{ p: z.infer<typeof Preferences> }[]>`select public.my_notification_preferences() as p`, {
        readOnly: true,
      });
      return c.json(row!.p, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/preferences',
      summary: 'Set my notification preferences',
      description:
        'kinds: the kinds you want (others are not written at all); browser: browser notifications on or off. A field left out keeps its value.',
      tags: Tag,
      security: bearerSecurity,
      request: {
        body: {
          content: {
            'application/json': {
              schema: z
                .object({ kinds: z.array(z.enum(NOTIFICATION_KINDS)).max(5).optional(), browser: z.boolean().optional() })
                .strict()
                .openapi('SetNotificationPreferences', { example: { kinds: ['earned', 'referral_joined'], browser: true } }),
            },
          },
          required: true,
        },
      },
      responses: {
        200: { description: 'The preferences now', content: { 'application/json': { schema: Preferences } } },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const [row] = await asCaller(
        c,
        (tx) =>
          tx<
            { p: z.infer<typeof Preferences> }[]
          >`select public.set_my_notification_preferences(${body.kinds ?? null}::text[], ${body.browser ?? null}::boolean) as p`,
      );
      return c.json(row!.p, 200);
    },
  );

  return app;
}
