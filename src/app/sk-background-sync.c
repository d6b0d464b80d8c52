/* sk-background-sync.c: when a connected till syncs, and what the views
 * hear of it.
 *
 * A cycle runs in the client's worker thread; here only timers and
 * signals run, on the main context, so a sale never waits for sync. After
 * a failure the next cycle waits the client's backoff (with jitter), and a
 * sale meanwhile only counts the outbox again: a till that lost the
 * network does not knock at HQ's door at every sale.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-background-sync.h"
#include "sk-error.h"

/* A sale is followed by a cycle this soon (ms): a burst of sales and the
 * customer edits they cause share one. */
#define AFTER_CHANGE_MS 300

struct _SkBackgroundSync
{
  GObject parent_instance;

  SkRepository    *repository;
  char            *database_path;
  SkSyncClient    *client;
  GCancellable    *cancellable;
  GNetworkMonitor *monitor;
  guint            timer_id;
  gint64           next_due; /* monotonic time of timer_id; 0: none */
  gboolean         again;    /* asked for while a cycle ran */
  gboolean         forced;   /* "Sync Now" while a cycle ran: no backoff for it */
  gboolean         announcing;
  gint64           offline_since;
};

G_DEFINE_FINAL_TYPE (SkBackgroundSync, sk_background_sync, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_CLIENT,
  PROP_OFFLINE_SINCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  NOTICE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_cycle (SkBackgroundSync *self);

static gboolean
timer_cb (gpointer user_data)
{
  SkBackgroundSync *self = user_data;

  self->timer_id = 0;
  self->next_due = 0;
  start_cycle (self);
  return G_SOURCE_REMOVE;
}

/* The next cycle in @delay (microseconds), unless one is due sooner. */
static void
schedule (SkBackgroundSync *self, gint64 delay)
{
  gint64 due = g_get_monotonic_time () + delay;

  if (self->timer_id != 0 && self->next_due <= due)
    return;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  self->next_due = due;
  self->timer_id = g_timeout_add ((guint)(delay / 1000), timer_cb, self);
}

static void
set_offline_since (SkBackgroundSync *self, gint64 since)
{
  if (self->offline_since == since)
    return;
  self->offline_since = since;
  /* Meanwhile what the till's file answers is not asked of HQ. */
  if (self->repository != NULL)
    sk_repository_set_hq_out_of_reach (self->repository, since != 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE_SINCE]);
}

static void
synced_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkBackgroundSync) self = user_data;
  SkSyncClient *client = SK_SYNC_CLIENT (source);
  g_autoptr (SkSyncSummary) summary = NULL;
  g_autoptr (GError) error = NULL;

  summary = sk_sync_client_sync_finish (client, result, &error);
  /* Disconnected (or reconnected elsewhere) meanwhile. */
  if (client != self->client || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (summary != NULL)
    {
      /* What HQ refused of this till's (a movement by hand for another
       * store's customer) is said, not only listed in HQ's review: the
       * till has put HQ's figures back. */
      if (summary->rejected > 0)
        {
          g_autofree char *text = g_strdup_printf (
              g_dngettext (GETTEXT_PACKAGE,
                           "HQ refused %d change made here; its figures are HQ's again",
                           "HQ refused %d changes made here; their figures are HQ's again",
                           (gulong)summary->rejected),
              (int)summary->rejected);

          g_signal_emit (self, signals[NOTICE], 0, text);
        }
      set_offline_since (self, 0);
      if (self->again)
        schedule (self, 0);
      else
        schedule (self, summary->pending > 0 ? SK_BACKGROUND_SYNC_PENDING_INTERVAL
                                             : SK_BACKGROUND_SYNC_IDLE_INTERVAL);
    }
  else if (!sk_sync_client_get_needs_sign_in (client))
    {
      g_debug ("Sync failed: %s", error->message);
      if (sk_sync_client_get_state (client) == SK_SYNC_STATE_OFFLINE && self->offline_since == 0)
        set_offline_since (self, g_get_real_time ());
      /* What was sold meanwhile is counted, not sent: HQ is retried later,
       * unless the cashier asked for a sync meanwhile. */
      if (self->again)
        sk_sync_client_update_pending (client);
      schedule (self, self->forced ? 0 : sk_sync_client_get_retry_delay (client));
    }
  /* A refused token: nothing until the cashier signs in again; the
   * pending events stay in the outbox. */
  self->again = FALSE;
  self->forced = FALSE;
}

static void
start_cycle (SkBackgroundSync *self)
{
  if (self->client == NULL)
    return;
  if (sk_sync_client_get_state (self->client) == SK_SYNC_STATE_SYNCING)
    {
      self->again = TRUE;
      return;
    }
  g_clear_handle_id (&self->timer_id, g_source_remove);
  self->next_due = 0;
  self->again = FALSE;
  sk_sync_client_sync_async (self->client, self->cancellable, synced_cb, g_object_ref (self));
}

void
sk_background_sync_sync_now (SkBackgroundSync *self)
{
  g_return_if_fail (SK_IS_BACKGROUND_SYNC (self));
  if (self->client != NULL && sk_sync_client_get_state (self->client) == SK_SYNC_STATE_SYNCING)
    self->forced = TRUE;
  start_cycle (self);
}

/* The till wrote something for HQ (a sale, a customer, a bonus). */
static void
local_change (SkBackgroundSync *self)
{
  if (self->client == NULL || self->announcing)
    return;
  /* Counted at once: the header says "1 pending" while the cycle that
   * sends it is still to come (or waits on a network slow to fail). */
  sk_sync_client_update_pending (self->client);
  if (sk_sync_client_get_state (self->client) == SK_SYNC_STATE_SYNCING)
    self->again = TRUE;
  else if (sk_sync_client_get_failures (self->client) == 0)
    schedule (self, AFTER_CHANGE_MS * 1000);
}

static void
purchase_changed_cb (SkRepository     *repository,
                     const char       *purchase_id,
                     const char       *customer_id,
                     SkBackgroundSync *self)
{
  local_change (self);
}

static void
customer_changed_cb (SkRepository *repository, const char *customer_id, SkBackgroundSync *self)
{
  local_change (self);
}

static void
network_changed_cb (GNetworkMonitor *monitor, gboolean available, SkBackgroundSync *self)
{
  if (!available || self->client == NULL || sk_sync_client_get_needs_sign_in (self->client))
    return;
  if (sk_sync_client_get_failures (self->client) > 0)
    start_cycle (self);
}

/* HQ's changes, applied by the client on its own connection: the views
 * hear of them as of the till's own, and the cashier of what they see. */
static void
pulled_cb (SkSyncClient *client, SkSyncSummary *summary, SkBackgroundSync *self)
{
  gboolean everything
      = summary->full_copy
        || ((summary->changed & SK_SYNC_CHANGED_CUSTOMERS) != 0 && summary->customer_ids == NULL);

  if (summary->customer_ids != NULL)
    g_ptr_array_add (summary->customer_ids, NULL);
  self->announcing = TRUE;
  sk_repository_announce_changes (
      self->repository, (summary->changed & SK_SYNC_CHANGED_STORES) != 0,
      (summary->changed & SK_SYNC_CHANGED_RULES) != 0,
      (summary->changed & SK_SYNC_CHANGED_CAMPAIGNS) != 0,
      summary->customer_ids ? (const char *const *)summary->customer_ids->pdata : NULL, everything);
  self->announcing = FALSE;
  if (summary->customer_ids != NULL)
    g_ptr_array_remove_index (summary->customer_ids, summary->customer_ids->len - 1);

  /* A copy of everything (the first) is no news to tell piece by piece. */
  if (everything)
    return;
  if (summary->merged > 0)
    {
      g_autofree char *text = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE, "HQ merged %d customer into another",
                       "HQ merged %d customers into others", (gulong)summary->merged),
          (int)summary->merged);

      g_signal_emit (self, signals[NOTICE], 0, text);
    }
  if (summary->rules_edited > 0)
    g_signal_emit (self, signals[NOTICE], 0, _ ("HQ changed the discount rules"));
  else if (summary->campaigns_edited > 0)
    g_signal_emit (self, signals[NOTICE], 0, _ ("HQ changed the campaigns"));
}

void
sk_background_sync_disconnect (SkBackgroundSync *self)
{
  g_return_if_fail (SK_IS_BACKGROUND_SYNC (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->repository != NULL)
    sk_repository_set_hq (self->repository, NULL, NULL);
  self->next_due = 0;
  self->again = FALSE;
  self->forced = FALSE;
  set_offline_since (self, 0);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_clear_object (&self->client);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
    }
}

void
sk_background_sync_connect (SkBackgroundSync *self, const char *server_url, const char *token)
{
  g_autofree char *version = g_strdup_printf ("skidka %s", PACKAGE_VERSION);

  g_return_if_fail (SK_IS_BACKGROUND_SYNC (self));
  g_return_if_fail (server_url != NULL);

  sk_background_sync_disconnect (self);
  self->cancellable = g_cancellable_new ();
  self->client = sk_sync_client_new (self->database_path, server_url);
  sk_sync_client_set_app_version (self->client, version);
  sk_sync_client_set_token (self->client, token);
  /* What the app edits at HQ, and the chain's figures, go there. */
  sk_repository_set_hq (self->repository, server_url, token);
  g_signal_connect_object (self->client, "pulled", G_CALLBACK (pulled_cb), self, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
  sk_sync_client_update_pending (self->client);
  if (token != NULL)
    start_cycle (self);
  else
    /* Signed out: the state says so until the cashier signs in. */
    sk_sync_client_sync_async (self->client, NULL, synced_cb, g_object_ref (self));
}

SkSyncClient *
sk_background_sync_get_client (SkBackgroundSync *self)
{
  g_return_val_if_fail (SK_IS_BACKGROUND_SYNC (self), NULL);
  return self->client;
}

gint64
sk_background_sync_get_offline_since (SkBackgroundSync *self)
{
  g_return_val_if_fail (SK_IS_BACKGROUND_SYNC (self), 0);
  return self->offline_since;
}

gint64
sk_background_sync_get_next_delay (SkBackgroundSync *self)
{
  g_return_val_if_fail (SK_IS_BACKGROUND_SYNC (self), -1);
  if (self->timer_id == 0)
    return -1;
  return MAX (self->next_due - g_get_monotonic_time (), 0);
}

SkBackgroundSync *
sk_background_sync_new (SkRepository *repository, const char *database_path)
{
  SkBackgroundSync *self = g_object_new (SK_TYPE_BACKGROUND_SYNC, NULL);

  self->repository = g_object_ref (repository);
  self->database_path = g_strdup (database_path);
  g_signal_connect_object (repository, "purchase-changed", G_CALLBACK (purchase_changed_cb), self,
                           0);
  g_signal_connect_object (repository, "customer-changed", G_CALLBACK (customer_changed_cb), self,
                           0);
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect_object (self->monitor, "network-changed", G_CALLBACK (network_changed_cb), self,
                           0);
  return self;
}

static void
sk_background_sync_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkBackgroundSync *self = SK_BACKGROUND_SYNC (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_OFFLINE_SINCE:
      g_value_set_int64 (value, self->offline_since);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_background_sync_dispose (GObject *object)
{
  SkBackgroundSync *self = SK_BACKGROUND_SYNC (object);

  sk_background_sync_disconnect (self);
  g_clear_object (&self->monitor);
  g_clear_object (&self->repository);
  G_OBJECT_CLASS (sk_background_sync_parent_class)->dispose (object);
}

static void
sk_background_sync_finalize (GObject *object)
{
  SkBackgroundSync *self = SK_BACKGROUND_SYNC (object);

  g_free (self->database_path);
  G_OBJECT_CLASS (sk_background_sync_parent_class)->finalize (object);
}

static void
sk_background_sync_class_init (SkBackgroundSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_background_sync_dispose;
  object_class->finalize = sk_background_sync_finalize;
  object_class->get_property = sk_background_sync_get_property;

  properties[PROP_CLIENT] = g_param_spec_object ("client", NULL, NULL, SK_TYPE_SYNC_CLIENT,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_OFFLINE_SINCE] = g_param_spec_int64 (
      "offline-since", NULL, NULL, 0, G_MAXINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Something the cashier sees changed at HQ (a sentence for a toast). */
  signals[NOTICE] = g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sk_background_sync_init (SkBackgroundSync *self)
{
}
