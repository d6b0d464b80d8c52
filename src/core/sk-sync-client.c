/* sk-sync-client.c: a till's sync cycle with HQ: push, acknowledge, pull.
 *
 * A cycle runs in a worker thread with a database connection and an HTTP
 * session of its own, both used by that thread only, so nothing blocks the
 * caller's main loop; its state is set on the caller's main context.
 * A request that fails for a passing reason (the network, a 5xx, 429) is
 * sent again a few times within the cycle, after an exponential backoff
 * with jitter (push and pull are idempotent, so a request whose answer was
 * lost is safe to send again). When the cycle fails all the same, the
 * next cycle is the caller's to schedule, after sk_sync_client_get_retry_delay();
 * a failed cycle leaves every unacknowledged event and the last cursor.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "sk-change-feed.h"
#include "sk-database-private.h"
#include "sk-database.h"
#include "sk-error.h"
#include "sk-record.h"
#include "sk-sync-client.h"
#include "sk-sync-till.h"

struct _SkSyncClient
{
  GObject     parent_instance;
  char       *database_path;
  char       *server_url;
  char       *token;
  char       *app_version;
  SkSyncState state;
  gint64      pending;
  gint64      last_success;
  char       *last_error;
  gboolean    needs_sign_in;
  guint       retries;       /* more attempts of a request within a cycle */
  guint       retry_base_ms; /* the first backoff */
  guint       failures;      /* cycles failed in a row */
  guint       cycles_done;   /* each cycle's end: a count taken before it is old */
  gboolean    storeless;     /* HQ's account of no store: no store's sales to keep */
};

G_DEFINE_FINAL_TYPE (SkSyncClient, sk_sync_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_DATABASE_PATH,
  PROP_SERVER_URL,
  PROP_STATE,
  PROP_PENDING,
  PROP_LAST_SUCCESS,
  PROP_LAST_ERROR,
  PROP_NEEDS_SIGN_IN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  PULLED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GType
sk_sync_state_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { SK_SYNC_STATE_IDLE, "SK_SYNC_STATE_IDLE", "idle" },
        { SK_SYNC_STATE_SYNCING, "SK_SYNC_STATE_SYNCING", "syncing" },
        { SK_SYNC_STATE_OFFLINE, "SK_SYNC_STATE_OFFLINE", "offline" },
        { SK_SYNC_STATE_ERROR, "SK_SYNC_STATE_ERROR", "error" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("SkSyncState", values));
    }
  return type;
}

/* Summary */

void
sk_sync_summary_free (SkSyncSummary *summary)
{
  if (summary == NULL)
    return;
  g_free (summary->cursor);
  g_clear_pointer (&summary->customer_ids, g_ptr_array_unref);
  g_free (summary);
}

JsonNode *
sk_sync_summary_to_json (const SkSyncSummary *summary)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (summary != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pushed");
  json_builder_add_int_value (b, summary->pushed);
  json_builder_set_member_name (b, "applied");
  json_builder_add_int_value (b, summary->applied);
  json_builder_set_member_name (b, "duplicates");
  json_builder_add_int_value (b, summary->duplicates);
  json_builder_set_member_name (b, "rejected");
  json_builder_add_int_value (b, summary->rejected);
  json_builder_set_member_name (b, "pulled");
  json_builder_add_int_value (b, summary->pulled);
  json_builder_set_member_name (b, "cursor");
  sk_json_add_string_or_null (b, summary->cursor);
  json_builder_set_member_name (b, "pending");
  json_builder_add_int_value (b, summary->pending);
  json_builder_set_member_name (b, "sales_kept");
  json_builder_add_int_value (b, summary->sales_kept);
  json_builder_set_member_name (b, "sales_dropped");
  json_builder_add_int_value (b, summary->sales_dropped);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* HTTP, in the worker */

typedef struct _Page Page;

/* HQ's time its answer's Date says; 0: none. */
static gint64
hq_time (SoupMessage *msg)
{
  const char *text = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Date");
  g_autoptr (GDateTime) at = text ? soup_date_time_new_from_http_string (text) : NULL;

  return at ? g_date_time_to_unix (at) * G_USEC_PER_SEC : 0;
}

static void page_answered (Page *page, SoupMessage *msg);

/* HQ's answer to @method @path with @body (may be NULL) of @content_type:
 * its JSON (a null node when empty), *status, the wait its Retry-After
 * asks (0: none) and, @date not NULL, HQ's time its Date says (0: none);
 * NULL with @error when HQ could not be reached or answered no JSON.
 * @page (may be NULL), the pull page asked for, is told of a 200 before
 * its JSON is parsed. */
static JsonNode *
http_send (SoupSession  *session,
           const char   *base,
           const char   *method,
           const char   *path,
           const char   *token,
           const char   *content_type,
           GBytes       *body,
           Page         *page,
           guint        *status,
           GCancellable *cancellable,
           GError      **error,
           gint64       *retry_after,
           gint64       *date)
{
  g_autofree char *url = g_strconcat (base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) bytes = NULL;
  JsonNode   *node;
  const char *after;
  guint64     seconds;

  *status = 0;
  *retry_after = 0;
  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("“%s” is not a server address"), base);
      return NULL;
    }
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  /* The message takes its own reference. */
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);
  bytes = soup_session_send_and_read (session, msg, cancellable, error);
  if (bytes == NULL)
    return NULL;
  *status = soup_message_get_status (msg);
  after = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After");
  if (after != NULL && g_ascii_string_to_unsigned (after, 10, 0, 3600, &seconds, NULL))
    *retry_after = (gint64)seconds * G_TIME_SPAN_SECOND;
  if (date != NULL)
    *date = hq_time (msg);
  if (page != NULL && *status == SOUP_STATUS_OK)
    page_answered (page, msg);
  if (g_bytes_get_size (bytes) == 0)
    return json_node_new (JSON_NODE_NULL);
  node = sk_json_parse (g_bytes_get_data (bytes, NULL), (gssize)g_bytes_get_size (bytes), NULL);
  if (node == NULL)
    g_set_error (error, SK_ERROR, SK_ERROR_MALFORMED,
                 _ ("The server at %s answered %u with something that is not JSON: is it Skidka?"),
                 base, *status);
  return node;
}

/* The same with a JSON body. */
static JsonNode *
http_json (SoupSession  *session,
           const char   *base,
           const char   *method,
           const char   *path,
           const char   *token,
           JsonNode     *body,
           Page         *page,
           guint        *status,
           GCancellable *cancellable,
           GError      **error,
           gint64       *retry_after)
{
  g_autoptr (GBytes) request = sk_json_to_bytes (body);

  return http_send (session, base, method, path, token, "application/json", request, page, status,
                    cancellable, error, retry_after, NULL);
}

static JsonObject *
object_of (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* An error answer as an SK_ERROR: 401 asks to sign in again; otherwise
 * the code and message HQ gave. */
void
sk_sync_http_error (guint status, JsonNode *node, GError **error)
{
  JsonObject *object = object_of (node);
  JsonObject *e = NULL;
  const char *code = NULL, *message = NULL, *field = NULL;
  int         sk_code = SK_ERROR_DATABASE;

  if (object != NULL && json_object_has_member (object, "error"))
    e = object_of (json_object_get_member (object, "error"));
  if (e != NULL)
    {
      code = sk_json_member_string (e, "code", NULL);
      message = sk_json_member_string (e, "message", NULL);
      if (json_object_has_member (e, "field") && !json_object_get_null_member (e, "field"))
        field = sk_json_member_string (e, "field", NULL);
    }
  if (status == SOUP_STATUS_UNAUTHORIZED)
    {
      sk_set_field_error (error, SK_ERROR_UNAUTHORIZED, NULL,
                          _ ("Sign in again: the server no longer accepts this till's sign-in"));
      return;
    }
  for (int c = SK_ERROR_MALFORMED; c <= SK_ERROR_CURSOR_EXPIRED; c++)
    if (code != NULL && g_str_equal (code, sk_error_code_to_string (c)))
      sk_code = c;
  if (code == NULL && status == SOUP_STATUS_FORBIDDEN)
    sk_code = SK_ERROR_FORBIDDEN;
  /* A refusal, the answer a user's own action meets, is said in the
   * user's words; HQ's reason (in the API's English) is quoted for
   * whoever supports the till. */
  if (sk_code == SK_ERROR_FORBIDDEN)
    {
      sk_set_field_error (error, sk_code, field,
                          _ ("HQ does not let the account this app signed in with do that: “%s”"),
                          message != NULL ? message : soup_status_get_phrase (status));
      return;
    }
  sk_set_field_error (error, sk_code, field, _ ("The server answered %u: %s"), status,
                      message != NULL ? message : soup_status_get_phrase (status));
}

/* The worker */

typedef struct
{
  char    *database_path;
  char    *server_url;
  char    *token;
  char    *app_version;
  guint    retries;
  guint    retry_base_ms;
  gboolean storeless;
} Job;

static void
job_free (Job *job)
{
  g_free (job->database_path);
  g_free (job->server_url);
  g_free (job->token);
  g_free (job->app_version);
  g_free (job);
}

/* Waits @usec unless @cancellable is cancelled first: FALSE then. */
static gboolean
backoff_wait (GCancellable *cancellable, gint64 usec)
{
  gint64 end = g_get_monotonic_time () + usec;

  for (gint64 now = g_get_monotonic_time (); now < end; now = g_get_monotonic_time ())
    {
      if (g_cancellable_is_cancelled (cancellable))
        return FALSE;
      g_usleep (MIN (end - now, 50 * G_TIME_SPAN_MILLISECOND));
    }
  return !g_cancellable_is_cancelled (cancellable);
}

/* A failure that may pass: the network (not a refused certificate, not a
 * cancel), or HQ busy or failing (5xx, 429). */
static gboolean
is_transient (guint status, const GError *error)
{
  if (error != NULL)
    return !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
           && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT)
           && error->domain != G_TLS_ERROR && (error->domain != SK_ERROR || status >= 500);
  return status >= 500 || status == 429 /* Too Many Requests */;
}

/* http_json, sent again after a backoff while it fails for a passing
 * reason: base, 2 base, 4 base... each with jitter (a random half of it
 * off, so tills back from one outage do not come back in step), or what
 * HQ's Retry-After asks when that is longer (up to a minute). */
static JsonNode *
http_json_retrying (SoupSession  *session,
                    Job          *job,
                    const char   *method,
                    const char   *path,
                    JsonNode     *body,
                    Page         *page,
                    guint        *status,
                    GCancellable *cancellable,
                    GError      **error)
{
  for (guint attempt = 0;; attempt++)
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (JsonNode) node = NULL;
      gint64 delay;

      node = http_json (session, job->server_url, method, path, job->token, body, page, status,
                        cancellable, &local, &delay);
      if (attempt >= job->retries || !is_transient (*status, local))
        {
          if (local != NULL)
            g_propagate_error (error, g_steal_pointer (&local));
          return g_steal_pointer (&node);
        }
      delay
          = MAX (delay, (gint64)job->retry_base_ms * G_TIME_SPAN_MILLISECOND << MIN (attempt, 16));
      delay = MIN (delay, G_TIME_SPAN_MINUTE);
      if (!backoff_wait (cancellable, (gint64)(delay * g_random_double_range (0.5, 1.0))))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _ ("The sync was cancelled"));
          return NULL;
        }
    }
}

/* What a cycle gives back: its summary (pending always set), or an error. */
typedef struct
{
  SkSyncSummary *summary;
  GError        *error;
  gboolean       storeless; /* HQ answered the sales of "its store" with a 422 */
} Outcome;

static void
outcome_free (Outcome *outcome)
{
  sk_sync_summary_free (outcome->summary);
  g_clear_error (&outcome->error);
  g_free (outcome);
}

/* A customer a page changed, noted once; beyond SK_SYNC_SUMMARY_MAX_IDS,
 * none are (*too_many). */
static void
note_customer (SkSyncSummary *summary, const char *id, gboolean *too_many)
{
  if (*too_many)
    return;
  if (summary->customer_ids == NULL)
    summary->customer_ids = g_ptr_array_new_with_free_func (g_free);
  if (!g_ptr_array_find_with_equal_func (summary->customer_ids, id, g_str_equal, NULL))
    g_ptr_array_add (summary->customer_ids, g_strdup (id));
  if (summary->customer_ids->len > SK_SYNC_SUMMARY_MAX_IDS)
    {
      g_clear_pointer (&summary->customer_ids, g_ptr_array_unref);
      *too_many = TRUE;
    }
}

/* What this file has of a customer HQ refused a change of is the change as
 * it was made here: HQ's record takes its place, so the till shows the
 * balance HQ has, not one HQ never had. Those noted (in this cycle, or one
 * that could not ask) are asked for; one HQ does not answer for now stays
 * noted for the next cycle, and the push it follows stands. */
static void
keep_hq_customers (SkDatabase    *db,
                   SoupSession   *session,
                   Job           *job,
                   SkSyncSummary *summary,
                   GCancellable  *cancellable)
{
  g_auto (GStrv) ids = sk_database_refused_customers (db);
  gboolean too_many = FALSE;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *escaped = g_uri_escape_string (ids[i], NULL, FALSE);
      g_autofree char *path = g_strconcat ("/api/customers/", escaped, NULL);
      g_autoptr (JsonNode) answer = NULL;
      g_autoptr (SkCustomer) customer = NULL;
      g_autoptr (GError) error = NULL;
      guint status;

      if (*ids[i] == '\0')
        continue;
      answer = http_json_retrying (session, job, "GET", path, NULL, NULL, &status, cancellable,
                                   &error);
      if (answer != NULL && status != SOUP_STATUS_OK && status != SOUP_STATUS_NOT_FOUND)
        sk_sync_http_error (status, answer, &error);
      /* Gone (merged into another), or never registered at HQ: nothing
       * to take. */
      else if (answer != NULL && status == SOUP_STATUS_OK)
        {
          customer = sk_record_from_json (SK_TYPE_CUSTOMER, answer, &error);
          if (customer != NULL && sk_database_keep_hq_record (db, SK_RECORD (customer), &error))
            {
              summary->changed |= SK_SYNC_CHANGED_CUSTOMERS;
              note_customer (summary, ids[i], &too_many);
            }
        }
      if (error == NULL)
        sk_database_forget_refused (db, ids[i], &error);
      if (error != NULL)
        {
          g_debug ("A customer HQ refused a change of stays as it is for now: %s", error->message);
          return;
        }
    }
}

static gboolean
push_all (SkDatabase    *db,
          SoupSession   *session,
          Job           *job,
          SkSyncSummary *summary,
          GCancellable  *cancellable,
          GError       **error)
{
  for (;;)
    {
      g_autoptr (JsonNode) events = NULL;
      g_autoptr (JsonNode) answer = NULL;
      g_autoptr (JsonBuilder) b = NULL;
      g_autoptr (JsonNode) body = NULL;
      JsonObject *object;
      JsonArray  *results;
      gint64      last_seq = 0, acked_seq, removed = 0;
      guint       n, status;

      events = sk_database_outbox_batch (db, SK_SYNC_CLIENT_BATCH, &last_seq, error);
      if (events == NULL)
        return FALSE;
      n = json_array_get_length (json_node_get_array (events));
      if (n == 0)
        return TRUE;

      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "device_id");
      json_builder_add_string_value (b, sk_database_get_device_id (db));
      json_builder_set_member_name (b, "app_version");
      json_builder_add_string_value (b, job->app_version);
      json_builder_set_member_name (b, "events");
      json_builder_add_value (b, g_steal_pointer (&events));
      json_builder_end_object (b);
      body = json_builder_get_root (b);

      answer = http_json_retrying (session, job, "POST", "/api/sync/push", body, NULL, &status,
                                   cancellable, error);
      if (answer == NULL)
        return FALSE;
      if (status != SOUP_STATUS_OK)
        {
          sk_sync_http_error (status, answer, error);
          return FALSE;
        }
      object = object_of (answer);
      if (object == NULL || !json_object_has_member (object, "acked_seq")
          || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "results")))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                              _ ("The server's answer to a push has no acknowledged sequence"));
          return FALSE;
        }
      results = json_object_get_array_member (object, "results");
      for (guint i = 0; i < json_array_get_length (results); i++)
        {
          JsonObject *result = object_of (json_array_get_element (results, i));
          const char *s = result ? sk_json_member_string (result, "status", "") : "";

          if (g_str_equal (s, "applied"))
            summary->applied++;
          else if (g_str_equal (s, "duplicate"))
            summary->duplicates++;
          else if (g_str_equal (s, "rejected"))
            {
              summary->rejected++;
              if (!sk_database_note_refused (db, sk_json_member_string (result, "id", NULL), error))
                return FALSE;
            }
        }

      /* Exactly what HQ acknowledged leaves the outbox, in one transaction. */
      acked_seq = sk_json_member_int (object, "acked_seq", 0);
      if (!sk_database_outbox_acknowledge (db, acked_seq, &removed, error))
        return FALSE;
      summary->pushed += removed;

      if (json_object_has_member (object, "error"))
        {
          JsonObject *e = object_of (json_object_get_member (object, "error"));

          sk_set_field_error (error, SK_ERROR_DATABASE, NULL,
                              _ ("The server stopped in the middle of a push: %s"),
                              e ? sk_json_member_string (e, "message", "") : "");
          return FALSE;
        }
      if (acked_seq < last_seq)
        {
          sk_set_field_error (error, SK_ERROR_DATABASE, NULL,
                              _ ("The server acknowledged events up to %" PRId64 " of %" PRId64
                                 "; the rest stay for the next sync"),
                              acked_seq, last_seq);
          return FALSE;
        }
      if (n < SK_SYNC_CLIENT_BATCH)
        return TRUE;
    }
}

/* What a page changed, for the views to hear of it. */
static void
note_changes (SkSyncSummary *summary, JsonArray *changes, gboolean *too_many)
{
  static const struct
  {
    const char   *entity;
    SkSyncChanges flag;
  } flags[] = {
    { SK_FEED_STORE, SK_SYNC_CHANGED_STORES },
    { SK_FEED_PRODUCT, SK_SYNC_CHANGED_STORES },
    { SK_FEED_RULE, SK_SYNC_CHANGED_RULES },
    { SK_FEED_CAMPAIGN, SK_SYNC_CHANGED_CAMPAIGNS },
    { SK_FEED_CUSTOMER, SK_SYNC_CHANGED_CUSTOMERS },
    { SK_FEED_SETTING, SK_SYNC_CHANGED_SETTINGS },
  };

  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonObject *change = object_of (json_array_get_element (changes, i));
      const char *entity, *id, *op;

      if (change == NULL)
        continue;
      entity = sk_json_member_string (change, "entity", "");
      id = sk_json_member_string (change, "id", NULL);
      op = sk_json_member_string (change, "op", "");
      for (guint k = 0; k < G_N_ELEMENTS (flags); k++)
        if (g_str_equal (entity, flags[k].entity))
          summary->changed |= flags[k].flag;
      if (!g_str_equal (entity, SK_FEED_CUSTOMER) || id == NULL)
        continue;
      if (g_str_equal (op, SK_FEED_MERGE))
        summary->merged++;
      note_customer (summary, id, too_many);
    }
}

/* A page's notes (@noted, made as its thread read it) added to the
 * cycle's @summary once the page is applied. */
static void
note_page (SkSyncSummary *summary,
           SkSyncSummary *noted,
           gboolean       noted_too_many,
           gboolean      *too_many)
{
  summary->changed |= noted->changed;
  summary->merged += noted->merged;
  if (noted_too_many && !*too_many)
    {
      g_clear_pointer (&summary->customer_ids, g_ptr_array_unref);
      *too_many = TRUE;
    }
  for (guint i = 0; noted->customer_ids != NULL && i < noted->customer_ids->len; i++)
    note_customer (summary, g_ptr_array_index (noted->customer_ids, i), too_many);
}

/* The pages of a pull, each asked for on a thread of its own. As soon as
 * HQ's answer to one has come, and before the till parses it, its thread
 * asks for the next, which the answer's Link header names: HQ makes page
 * k + 1 while the till parses page k and applies page k - 1 (libsoup 3.2
 * sends from any thread). At most PULL_AHEAD pages are asked for and not
 * yet applied, so the till's memory stays that of a few pages. */
#define PULL_AHEAD 3

typedef struct
{
  SoupSession  *session;
  Job          *job;
  GCancellable *cancellable;
  GMutex        mutex;
  GCond         applied;
  guint         unapplied; /* pages asked for and not applied */
  gboolean      stopped;   /* no more pages are asked for */
  gint64        hq_time;   /* HQ's time at its first page (its Date), 0: none */
} Pull;

struct _Page
{
  Pull     *pull;
  char     *path;
  guint     status;
  GError   *error;  /* HQ could not be reached, or answered no JSON */
  JsonNode *answer; /* HQ's JSON when it is not a page of changes */
  /* A page of changes, read on the page's thread: */
  char          *next_cursor;
  gboolean       has_more;
  guint          n_changes;
  SkPulledPage  *pulled; /* its changes read, or NULL with @read_error */
  GError        *read_error;
  SkSyncSummary *noted; /* what it changes (note_changes) */
  gboolean       too_many;
  GThread       *thread;
  Page          *next; /* asked for by this page's thread, from HQ's Link */
};

static char *
pull_path (const char *cursor)
{
  g_autofree char *escaped = cursor != NULL ? g_uri_escape_string (cursor, NULL, FALSE) : NULL;

  return escaped != NULL
             ? g_strdup_printf ("/api/sync/pull?limit=%d&since=%s", SK_SYNC_CLIENT_BATCH, escaped)
             : g_strdup_printf ("/api/sync/pull?limit=%d", SK_SYNC_CLIENT_BATCH);
}

char *
sk_sync_link_next (const char *link)
{
  const char *end;

  /* <PATH>; rel="next": the one link HQ gives, to its own next page. */
  if (link == NULL || link[0] != '<' || (end = strchr (link, '>')) == NULL
      || strstr (end, "rel=\"next\"") == NULL)
    return NULL;
  if (!g_str_has_prefix (link + 1, "/api/sync/pull?"))
    return NULL;
  return g_strndup (link + 1, end - link - 1);
}

static gpointer page_fetch (gpointer data);

/* Asks for the page at @path on a thread of its own. */
static Page *
page_start (Pull *pull, char *path)
{
  Page *page = g_new0 (Page, 1);

  page->pull = pull;
  page->path = path;
  g_mutex_lock (&pull->mutex);
  pull->unapplied++;
  g_mutex_unlock (&pull->mutex);
  page->thread = g_thread_new ("skidka-pull", page_fetch, page);
  return page;
}

/* HQ answered @page (200): the next page is asked for now, once fewer
 * than PULL_AHEAD pages wait to be applied. */
static void
page_answered (Page *page, SoupMessage *msg)
{
  Pull *pull = page->pull;
  char *next = sk_sync_link_next (
      soup_message_headers_get_one (soup_message_get_response_headers (msg), "Link"));
  gboolean stopped;

  g_mutex_lock (&pull->mutex);
  if (pull->hq_time == 0)
    pull->hq_time = hq_time (msg);
  g_mutex_unlock (&pull->mutex);
  if (next == NULL || page->next != NULL)
    {
      g_free (next);
      return;
    }
  g_mutex_lock (&pull->mutex);
  while (pull->unapplied >= PULL_AHEAD && !pull->stopped)
    g_cond_wait (&pull->applied, &pull->mutex);
  stopped = pull->stopped;
  g_mutex_unlock (&pull->mutex);
  if (stopped)
    g_free (next);
  else
    page->next = page_start (pull, next);
}

/* The page is fetched and, when HQ gave one, read into records on its
 * own thread, which frees HQ's JSON too (a tree is freed at a fraction of
 * the cost by the thread that made it): the till's thread only applies
 * the page. */
static gpointer
page_fetch (gpointer data)
{
  Page       *page = data;
  JsonObject *object;
  JsonNode   *changes, *refs;
  const char *next_cursor;

  page->answer = http_json_retrying (page->pull->session, page->pull->job, "GET", page->path, NULL,
                                     page, &page->status, page->pull->cancellable, &page->error);
  object = page->status == SOUP_STATUS_OK ? object_of (page->answer) : NULL;
  changes = object ? json_object_get_member (object, "changes") : NULL;
  refs = object ? json_object_get_member (object, "refs") : NULL;
  next_cursor = object ? sk_json_member_string (object, "next_cursor", NULL) : NULL;
  if (changes == NULL || !JSON_NODE_HOLDS_ARRAY (changes) || next_cursor == NULL)
    return NULL; /* the till says what HQ answered */
  page->next_cursor = g_strdup (next_cursor);
  page->n_changes = json_array_get_length (json_node_get_array (changes));
  page->has_more = sk_json_member_boolean (object, "has_more", FALSE);
  page->pulled = sk_pulled_page_new (
      refs != NULL && JSON_NODE_HOLDS_ARRAY (refs) ? json_node_get_array (refs) : NULL,
      json_node_get_array (changes), &page->read_error);
  page->noted = g_new0 (SkSyncSummary, 1);
  note_changes (page->noted, json_node_get_array (changes), &page->too_many);
  g_clear_pointer (&page->answer, json_node_unref);
  return NULL;
}

/* Waits for @page's thread: its answer, the page read and the page it
 * asked for next are there then. */
static void
page_join (Page *page)
{
  g_thread_join (page->thread);
  page->thread = NULL;
}

static void
page_free (Page *page)
{
  g_clear_error (&page->error);
  g_clear_pointer (&page->answer, json_node_unref);
  g_free (page->next_cursor);
  g_clear_pointer (&page->pulled, sk_pulled_page_free);
  g_clear_error (&page->read_error);
  sk_sync_summary_free (page->noted);
  g_free (page->path);
  g_free (page);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Page, page_free)

/* @page is applied (or not wanted): one more may be asked for. */
static void
pull_applied (Pull *pull)
{
  g_mutex_lock (&pull->mutex);
  pull->unapplied--;
  g_cond_broadcast (&pull->applied);
  g_mutex_unlock (&pull->mutex);
}

/* Stops asking for pages and waits for those asked for from @page on. */
static void
pull_stop (Pull *pull, Page *page)
{
  g_mutex_lock (&pull->mutex);
  pull->stopped = TRUE;
  g_cond_broadcast (&pull->applied);
  g_mutex_unlock (&pull->mutex);
  g_cancellable_cancel (pull->cancellable);
  while (page != NULL)
    {
      Page *next;

      page_join (page);
      next = page->next;
      page_free (page);
      page = next;
    }
}

static void
cancel_too (GCancellable *cancellable, GCancellable *other)
{
  g_cancellable_cancel (other);
}

static gboolean
pull_pages (SkDatabase *db, Pull *pull, SkSyncSummary *summary, GError **error)
{
  g_autofree char *cursor = sk_database_get_sync_cursor (db);
  gboolean         restarted = FALSE;
  gboolean         ok = FALSE;
  Page            *next;
  /* Customers changed before the pull (taken back after a refusal) with
   * none listed: too many to list already. */
  gboolean too_many
      = (summary->changed & SK_SYNC_CHANGED_CUSTOMERS) != 0 && summary->customer_ids == NULL;

  summary->full_copy = cursor == NULL;
  next = page_start (pull, pull_path (cursor));
  while (next != NULL)
    {
      g_autoptr (Page) page = g_steal_pointer (&next);
      g_autofree char *expected = NULL;

      page_join (page);
      next = g_steal_pointer (&page->next);
      if (page->error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&page->error));
          goto out;
        }
      /* HQ does not know the cursor (restored from a backup, another
       * server): the whole copy again; the outbox is not touched. */
      if (page->status == SOUP_STATUS_GONE && cursor != NULL && !restarted)
        {
          if (!sk_database_forget_sync_cursor (db, error))
            goto out;
          g_clear_pointer (&cursor, g_free);
          restarted = TRUE;
          summary->full_copy = TRUE;
          pull_applied (pull);
          next = page_start (pull, pull_path (NULL));
          continue;
        }
      if (page->status != SOUP_STATUS_OK)
        {
          sk_sync_http_error (page->status, page->answer, error);
          goto out;
        }
      if (page->next_cursor == NULL)
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                              _ ("The server's answer to a pull has no changes or cursor"));
          goto out;
        }
      if (page->pulled == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&page->read_error));
          goto out;
        }
      if (page->has_more && page->n_changes > 0)
        expected = pull_path (page->next_cursor);
      /* The page asked for ahead must be the one the cursor names. */
      if (next != NULL && (expected == NULL || !g_str_equal (next->path, expected)))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                              _ ("The server's answer to a pull links to another page than its "
                                 "cursor names"));
          goto out;
        }
      if (next == NULL && expected != NULL)
        next = page_start (pull, g_steal_pointer (&expected));
      if (!sk_database_apply_pulled_page (db, page->pulled, page->next_cursor, error))
        goto out;
      pull_applied (pull);
      summary->pulled += page->n_changes;
      summary->rules_edited += sk_pulled_page_get_rules_edited (page->pulled);
      summary->campaigns_edited += sk_pulled_page_get_campaigns_edited (page->pulled);
      note_page (summary, page->noted, page->too_many, &too_many);
      g_free (cursor);
      cursor = g_steal_pointer (&page->next_cursor);
    }
  summary->cursor = g_steal_pointer (&cursor);
  ok = TRUE;
out:
  pull_stop (pull, next);
  return ok;
}

/* Pulls until HQ has nothing more; the pages asked for ahead are stopped
 * when the cycle is cancelled or the till fails to apply the one before.
 * *@hq_now: HQ's time at its first answer (0: it gave none). */
static gboolean
pull_all (SkDatabase    *db,
          SoupSession   *session,
          Job           *job,
          SkSyncSummary *summary,
          gint64        *hq_now,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr (GCancellable) stop = g_cancellable_new ();
  Pull     pull = { .session = session, .job = job, .cancellable = stop };
  gulong   handler = 0;
  gboolean ok;

  g_mutex_init (&pull.mutex);
  g_cond_init (&pull.applied);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_too), stop, NULL);
  ok = pull_pages (db, &pull, summary, error);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  g_cond_clear (&pull.applied);
  g_mutex_clear (&pull.mutex);
  *hq_now = pull.hq_time;
  return ok;
}

/* The store's sales, for returns. SPEC 6 does not say how long a till
 * keeps them: 14 days, the time the law gives a buyer to bring back goods
 * of proper quality (a faulty one, later, is looked up at HQ). */
#define SALES_KEPT_DAYS 14
#define SALES_PAGE      100
/* A sale reaches HQ (or a return of it) in a transaction that may commit
 * a little after its updated_at: each ask goes back this far before HQ's
 * time of the last. */
#define SALES_OVERLAP G_TIME_SPAN_MINUTE

/* Keeps the sales of the account's store that reached HQ, or were
 * returned, since the last cycle asked (sales of other tills, and this
 * till's own that someone took back some of), so that a return
 * of another till's sale is taken while HQ is out of reach, and nothing is
 * taken back twice (sk_database_keep_hq_purchases). What fails here fails
 * nothing else: the next cycle asks again from the same time. An HQ
 * account has no store: HQ refuses the question, and such a till keeps
 * none. The days kept are HQ's (@hq_now, its time at the pull; 0: none,
 * the till's), as is every mark after: a till whose clock is a month off
 * keeps the same sales as the others. Those kept before the days are let
 * go, so that a till's file grows by its own sales alone. */
static void
keep_store_sales (SkDatabase    *db,
                  SoupSession   *session,
                  Job           *job,
                  SkSyncSummary *summary,
                  gint64         hq_now,
                  gboolean      *storeless,
                  GCancellable  *cancellable)
{
  gint64           since = sk_database_get_setting_int (db, SK_SETTING_SYNC_SALES_SINCE, 0);
  gint64           asked_at = 0, floor, dropped = 0;
  gboolean         marked;
  g_autofree char *time = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *mark = NULL;

  marked = since > 0;
  floor = (hq_now > 0 ? hq_now : sk_time_now ()) - SALES_KEPT_DAYS * G_TIME_SPAN_DAY;
  since = MAX (since, floor);
  time = sk_time_to_rfc3339 (since);
  do
    {
      g_autoptr (GString) path = g_string_new (NULL);
      g_autoptr (JsonNode) answer = NULL;
      g_autoptr (GPtrArray) sales = NULL;
      g_autoptr (GError) error = NULL;
      gint64 kept = 0, retry_after;
      guint  status;

      g_string_printf (path, "/api/pos/purchases?limit=%d&updated_since=", SALES_PAGE);
      g_string_append_uri_escaped (path, time, NULL, FALSE);
      /* Its own sales left out, but on a first ask (a file restored from
       * a backup lacks what it pushed after). */
      if (marked)
        g_string_append_printf (path, "&device_id=%s", sk_database_get_device_id (db));
      if (cursor != NULL)
        {
          g_string_append (path, "&cursor=");
          g_string_append_uri_escaped (path, cursor, NULL, FALSE);
          g_clear_pointer (&cursor, g_free);
        }
      answer = http_send (session, job->server_url, "GET", path->str, job->token, NULL, NULL, NULL,
                          &status, cancellable, &error, &retry_after,
                          asked_at == 0 ? &asked_at : NULL);
      /* An account of no store (an HQ desk's): HQ asks it to name one;
       * it has none to keep, and is not asked again by this client. */
      if (answer != NULL && status == SOUP_STATUS_UNPROCESSABLE_ENTITY)
        {
          *storeless = TRUE;
          return;
        }
      if (answer != NULL && status != SOUP_STATUS_OK)
        sk_sync_http_error (status, answer, &error);
      else if (answer != NULL)
        sales = sk_records_from_page (answer, SK_TYPE_PURCHASE, &cursor, &error);
      if (sales == NULL || !sk_database_keep_hq_purchases (db, sales, TRUE, &kept, &error))
        {
          g_debug ("The store's sales are not kept this time: %s", error->message);
          return;
        }
      summary->sales_kept += kept;
    }
  while (cursor != NULL);
  /* What a new till would not have, this one does not keep either; by
   * HQ's clock alone. */
  if (hq_now > 0 && sk_database_drop_kept_sales (db, floor, &dropped, NULL))
    summary->sales_dropped = dropped;
  /* From HQ's time at its first answer (its Date): a mass of sales pushed
   * at once is not asked for again at every cycle after. Without a Date,
   * the next cycle asks from the same time. */
  if (asked_at - SALES_OVERLAP <= since)
    return;
  mark = g_strdup_printf ("%" G_GINT64_FORMAT, asked_at - SALES_OVERLAP);
  sk_database_set_setting (db, SK_SETTING_SYNC_SALES_SINCE, mark, NULL);
}

static void
sync_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (SoupSession) session = NULL;
  Outcome *outcome = g_new0 (Outcome, 1);
  gint64   hq_now = 0;

  outcome->summary = g_new0 (SkSyncSummary, 1);
  db = sk_database_open (job->database_path, &outcome->error);
  /* What this connection writes, HQ has: pulled pages (their cursor goes
   * with them) and the removal of acknowledged events (pushed again, they
   * are answered as duplicates). Its commits need not wait for the disk;
   * a power cut may only take the last of them back. */
  if (db != NULL && sk_db_is_sqlite (db))
    sk_db_exec_script (db, "PRAGMA synchronous = NORMAL", NULL);
  if (db != NULL)
    {
      g_autofree char *agent = g_strdup_printf ("skidka/%s", PACKAGE_VERSION);

      session = soup_session_new_with_options ("timeout", 60, "user-agent", agent, NULL);
      if (push_all (db, session, job, outcome->summary, cancellable, &outcome->error))
        {
          keep_hq_customers (db, session, job, outcome->summary, cancellable);
          if (pull_all (db, session, job, outcome->summary, &hq_now, cancellable, &outcome->error)
              && !job->storeless)
            keep_store_sales (db, session, job, outcome->summary, hq_now, &outcome->storeless,
                              cancellable);
        }
      outcome->summary->pending = sk_database_count_outbox (db, NULL);
      if (outcome->summary->cursor == NULL)
        outcome->summary->cursor = sk_database_get_sync_cursor (db);
    }
  else
    outcome->summary->pending = -1;
  g_task_return_pointer (task, outcome, (GDestroyNotify)outcome_free);
}

/* State, on the caller's context */

static void
set_state (SkSyncClient *self, SkSyncState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
sync_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkSyncClient *self = SK_SYNC_CLIENT (source);
  g_autoptr (GTask) outer = user_data;
  Outcome *outcome = g_task_propagate_pointer (G_TASK (result), NULL);
  gboolean sign_in;

  g_object_freeze_notify (G_OBJECT (self));
  self->cycles_done++;
  self->storeless |= outcome->storeless;
  if (outcome->summary->pending >= 0 && outcome->summary->pending != self->pending)
    {
      self->pending = outcome->summary->pending;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
    }
  sign_in = g_error_matches (outcome->error, SK_ERROR, SK_ERROR_UNAUTHORIZED);
  if (sign_in != self->needs_sign_in)
    {
      self->needs_sign_in = sign_in;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_SIGN_IN]);
    }
  if (outcome->error == NULL || g_error_matches (outcome->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    self->failures = 0;
  else
    self->failures++;
  if (outcome->error == NULL)
    {
      self->last_success = g_get_real_time ();
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SUCCESS]);
      if (self->last_error != NULL)
        {
          g_clear_pointer (&self->last_error, g_free);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
        }
      set_state (self, SK_SYNC_STATE_IDLE);
    }
  else
    {
      if (sk_set_str (&self->last_error, outcome->error->message))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
      if (g_error_matches (outcome->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_state (self, SK_SYNC_STATE_IDLE);
      else if (outcome->error->domain == SK_ERROR)
        set_state (self, SK_SYNC_STATE_ERROR);
      else
        set_state (self, SK_SYNC_STATE_OFFLINE);
    }
  g_object_thaw_notify (G_OBJECT (self));
  /* Also after a failure: the pages applied before it stay applied. */
  if (outcome->summary->changed != 0)
    g_signal_emit (self, signals[PULLED], 0, outcome->summary);

  if (outcome->error != NULL)
    g_task_return_error (outer, g_steal_pointer (&outcome->error));
  else
    g_task_return_pointer (outer, g_steal_pointer (&outcome->summary),
                           (GDestroyNotify)sk_sync_summary_free);
  outcome_free (outcome);
}

void
sk_sync_client_sync_async (SkSyncClient       *self,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  Job *job;

  g_return_if_fail (SK_IS_SYNC_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, sk_sync_client_sync_async);
  if (self->state == SK_SYNC_STATE_SYNCING)
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _ ("A sync is running already"));
      return;
    }
  if (self->token == NULL)
    {
      if (!self->needs_sign_in)
        {
          self->needs_sign_in = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_SIGN_IN]);
        }
      g_task_return_new_error (outer, SK_ERROR, SK_ERROR_UNAUTHORIZED,
                               _ ("Sign in to sync with the server"));
      return;
    }
  job = g_new0 (Job, 1);
  job->database_path = g_strdup (self->database_path);
  job->server_url = g_strdup (self->server_url);
  job->token = g_strdup (self->token);
  job->app_version = g_strdup (self->app_version);
  job->retries = self->retries;
  job->retry_base_ms = self->retry_base_ms;
  job->storeless = self->storeless;
  set_state (self, SK_SYNC_STATE_SYNCING);

  inner = g_task_new (self, cancellable, sync_done, g_steal_pointer (&outer));
  g_task_set_source_tag (inner, sync_thread);
  /* sync_done reads the outcome, cancelled or not, and answers @outer. */
  g_task_set_check_cancellable (inner, FALSE);
  g_task_set_task_data (inner, job, (GDestroyNotify)job_free);
  g_task_run_in_thread (inner, sync_thread);
}

SkSyncSummary *
sk_sync_client_sync_finish (SkSyncClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (SK_IS_SYNC_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Sign-in */

JsonNode *
sk_sync_request (const char   *server_url,
                 const char   *token,
                 const char   *method,
                 const char   *path,
                 JsonNode     *body,
                 GCancellable *cancellable,
                 GError      **error)
{
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (server_url != NULL && method != NULL && path != NULL, NULL);

  bytes = sk_json_to_bytes (body);
  return sk_sync_call (server_url, token, method, path, bytes ? "application/json" : NULL, bytes,
                       60, NULL, cancellable, error);
}

gboolean
sk_sync_parse_account (JsonNode *answer, SkRole *role, char **store_id, GError **error)
{
  JsonObject *object = object_of (answer);
  const char *role_name = NULL, *store = NULL;
  JsonNode   *member;

  if (object != NULL)
    {
      member = json_object_get_member (object, "role");
      if (member != NULL && JSON_NODE_HOLDS_VALUE (member)
          && json_node_get_value_type (member) == G_TYPE_STRING)
        role_name = json_node_get_string (member);
      member = json_object_get_member (object, "store_id");
      if (member != NULL && JSON_NODE_HOLDS_VALUE (member)
          && json_node_get_value_type (member) == G_TYPE_STRING)
        store = json_node_get_string (member);
      else if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
        role_name = NULL; /* a store that is not a string: not an account */
    }
  if (sk_role_from_string (role_name) == SK_ROLE_NONE)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "role",
                          _ ("The server's answer names no role this till knows"));
      return FALSE;
    }
  *role = sk_role_from_string (role_name);
  *store_id = g_strdup (store);
  return TRUE;
}

gboolean
sk_sync_fetch_account (const char   *server_url,
                       const char   *token,
                       SkRole       *role,
                       char        **store_id,
                       GCancellable *cancellable,
                       GError      **error)
{
  g_autoptr (JsonNode) answer = NULL;

  g_return_val_if_fail (server_url != NULL && token != NULL, FALSE);

  answer = sk_sync_request (server_url, token, "GET", "/api/auth/me", NULL, cancellable, error);
  return answer != NULL && sk_sync_parse_account (answer, role, store_id, error);
}

JsonNode *
sk_sync_call (const char   *server_url,
              const char   *token,
              const char   *method,
              const char   *path,
              const char   *content_type,
              GBytes       *body,
              guint         timeout,
              guint        *status,
              GCancellable *cancellable,
              GError      **error)
{
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autofree char *base = NULL;
  gint64           retry_after = 0;
  guint            answered = 0;

  g_return_val_if_fail (server_url != NULL && method != NULL && path != NULL, NULL);

  base = g_strdup (server_url);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  session = soup_session_new_with_options ("timeout", timeout, NULL);
  answer = http_send (session, base, method, path, token, content_type, body, NULL, &answered,
                      cancellable, error, &retry_after, NULL);
  if (status != NULL)
    *status = answered;
  else if (answer != NULL && !SOUP_STATUS_IS_SUCCESSFUL (answered))
    {
      sk_sync_http_error (answered, answer, error);
      return NULL;
    }
  return g_steal_pointer (&answer);
}

char *
sk_sync_login (const char   *server_url,
               const char   *username,
               const char   *password,
               GCancellable *cancellable,
               GError      **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GBytes) bytes = NULL;
  JsonObject *object;
  const char *token;
  guint       status;

  g_return_val_if_fail (server_url != NULL && username != NULL && password != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "username");
  json_builder_add_string_value (b, username);
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, password);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  bytes = sk_json_to_bytes (body);
  answer = sk_sync_call (server_url, NULL, "POST", "/api/auth/login", "application/json", bytes, 60,
                         &status, cancellable, error);
  if (answer == NULL)
    return NULL;
  if (status == SOUP_STATUS_UNAUTHORIZED)
    {
      sk_set_field_error (error, SK_ERROR_UNAUTHORIZED, NULL,
                          _ ("The server refused the user name or password"));
      return NULL;
    }
  if (status != SOUP_STATUS_OK)
    {
      sk_sync_http_error (status, answer, error);
      return NULL;
    }
  object = object_of (answer);
  token = object ? sk_json_member_string (object, "token", NULL) : NULL;
  if (token == NULL)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                          _ ("The server's answer to a sign-in has no token"));
      return NULL;
    }
  return g_strdup (token);
}

/* GObject */

SkSyncClient *
sk_sync_client_new (const char *database_path, const char *server_url)
{
  g_return_val_if_fail (database_path != NULL && server_url != NULL, NULL);

  return g_object_new (SK_TYPE_SYNC_CLIENT, "database-path", database_path, "server-url",
                       server_url, NULL);
}

void
sk_sync_client_set_token (SkSyncClient *self, const char *token)
{
  g_return_if_fail (SK_IS_SYNC_CLIENT (self));

  sk_set_str (&self->token, token);
  if (token != NULL && self->needs_sign_in)
    {
      self->needs_sign_in = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_SIGN_IN]);
    }
}

void
sk_sync_client_set_app_version (SkSyncClient *self, const char *app_version)
{
  g_return_if_fail (SK_IS_SYNC_CLIENT (self));
  g_return_if_fail (app_version != NULL);

  sk_set_str (&self->app_version, app_version);
}

SkSyncState
sk_sync_client_get_state (SkSyncClient *self)
{
  g_return_val_if_fail (SK_IS_SYNC_CLIENT (self), SK_SYNC_STATE_IDLE);
  return self->state;
}

gint64
sk_sync_client_get_pending (SkSyncClient *self)
{
  g_return_val_if_fail (SK_IS_SYNC_CLIENT (self), 0);
  return self->pending;
}

static void
count_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr (SkDatabase) db = sk_database_open (task_data, NULL);

  g_task_return_int (task, db != NULL ? sk_database_count_outbox (db, NULL) : -1);
}

static void
counted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkSyncClient *self = SK_SYNC_CLIENT (source);
  gint64        pending = g_task_propagate_int (G_TASK (result), NULL);
  guint         cycles = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "cycles-done"));

  /* Shown also while a cycle runs (the sale just made waits for it); a
   * count taken before a cycle ended is older than the cycle's own. */
  if (pending < 0 || pending == self->pending || cycles != self->cycles_done)
    return;
  self->pending = pending;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
}

void
sk_sync_client_update_pending (SkSyncClient *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (SK_IS_SYNC_CLIENT (self));

  task = g_task_new (self, NULL, counted_cb, NULL);
  g_task_set_source_tag (task, sk_sync_client_update_pending);
  g_object_set_data (G_OBJECT (task), "cycles-done", GUINT_TO_POINTER (self->cycles_done));
  g_task_set_task_data (task, g_strdup (self->database_path), g_free);
  g_task_run_in_thread (task, count_thread);
}

gint64
sk_sync_client_get_last_success (SkSyncClient *self)
{
  g_return_val_if_fail (SK_IS_SYNC_CLIENT (self), 0);
  return self->last_success;
}

const char *
sk_sync_client_get_last_error (SkSyncClient *self)
{
  g_return_val_if_fail (SK_IS_SYNC_CLIENT (self), NULL);
  return self->last_error;
}

const char *
sk_sync_client_get_token (SkSyncClient *self)
{
  g_return_val_if_fail (SK_IS_SYNC_CLIENT (self), NULL);
  return self->token;
}

gboolean
sk_sync_client_get_needs_sign_in (SkSyncClient *self)
{
  g_return_val_if_fail (SK_IS_SYNC_CLIENT (self), FALSE);
  return self->needs_sign_in;
}

void
sk_sync_client_set_retry (SkSyncClient *self, guint retries, guint base_ms)
{
  g_return_if_fail (SK_IS_SYNC_CLIENT (self));

  self->retries = retries;
  self->retry_base_ms = base_ms;
}

guint
sk_sync_client_get_failures (SkSyncClient *self)
{
  g_return_val_if_fail (SK_IS_SYNC_CLIENT (self), 0);
  return self->failures;
}

gint64
sk_sync_client_get_retry_delay (SkSyncClient *self)
{
  gint64 delay;

  g_return_val_if_fail (SK_IS_SYNC_CLIENT (self), 0);

  if (self->failures == 0)
    return 0;
  delay = SK_SYNC_CLIENT_RETRY_FIRST << MIN (self->failures - 1, 16);
  delay = MIN (delay, SK_SYNC_CLIENT_RETRY_MAX);
  return (gint64)(delay * g_random_double_range (0.5, 1.0));
}

static void
sk_sync_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkSyncClient *self = SK_SYNC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_DATABASE_PATH:
      g_value_set_string (value, self->database_path);
      break;
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PENDING:
      g_value_set_int64 (value, self->pending);
      break;
    case PROP_LAST_SUCCESS:
      g_value_set_int64 (value, self->last_success);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_NEEDS_SIGN_IN:
      g_value_set_boolean (value, self->needs_sign_in);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_sync_client_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SkSyncClient *self = SK_SYNC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_DATABASE_PATH:
      sk_set_str (&self->database_path, g_value_get_string (value));
      break;
    case PROP_SERVER_URL:
      {
        g_autofree char *url = g_value_dup_string (value);

        /* Paths are appended to it. */
        while (url != NULL && g_str_has_suffix (url, "/"))
          url[strlen (url) - 1] = '\0';
        if (sk_set_str (&self->server_url, url))
          g_object_notify_by_pspec (object, pspec);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_sync_client_finalize (GObject *object)
{
  SkSyncClient *self = SK_SYNC_CLIENT (object);

  g_free (self->database_path);
  g_free (self->server_url);
  g_free (self->token);
  g_free (self->app_version);
  g_free (self->last_error);
  G_OBJECT_CLASS (sk_sync_client_parent_class)->finalize (object);
}

static void
sk_sync_client_class_init (SkSyncClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sk_sync_client_get_property;
  object_class->set_property = sk_sync_client_set_property;
  object_class->finalize = sk_sync_client_finalize;

  properties[PROP_DATABASE_PATH]
      = g_param_spec_string ("database-path", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER_URL]
      = g_param_spec_string ("server-url", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE]
      = g_param_spec_enum ("state", NULL, NULL, SK_TYPE_SYNC_STATE, SK_SYNC_STATE_IDLE,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PENDING]
      = g_param_spec_int64 ("pending", NULL, NULL, 0, G_MAXINT64, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_SUCCESS]
      = g_param_spec_int64 ("last-success", NULL, NULL, 0, G_MAXINT64, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ERROR]
      = g_param_spec_string ("last-error", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NEEDS_SIGN_IN]
      = g_param_spec_boolean ("needs-sign-in", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A cycle's pull changed records at the till (an SkSyncSummary, valid
   * during the emission): the views that show them reload. */
  signals[PULLED] = g_signal_new ("pulled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
sk_sync_client_init (SkSyncClient *self)
{
  self->app_version = g_strdup_printf ("skidka %s", PACKAGE_VERSION);
  self->retries = 3;
  self->retry_base_ms = 1000;
}
