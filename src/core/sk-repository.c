/* sk-repository.c: the store for a GUI: calls queued to a pool of worker
 * threads, each with a connection opened once and kept (reopened when the
 * file is replaced), results and change signals back on the main context.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-products-csv.h"
#include "sk-receipt.h"
#include "sk-repository.h"
#include "sk-sync-client.h"
#include "sk-sync-till.h"

typedef enum
{
  CHANGED_CUSTOMER = 1 << 0,
  CHANGED_PURCHASE = 1 << 1,
  CHANGED_RULES = 1 << 2,
  CHANGED_CAMPAIGNS = 1 << 3,
  CHANGED_STORES = 1 << 4,
  CHANGED_DATABASE = 1 << 5,
} Changes;

typedef struct _Job Job;

/* Runs on a worker with its connection (NULL for a job that opens what it
 * needs); returns the task's result, NULL with or without an error. */
typedef gpointer (*JobFunc) (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error);

struct _Job
{
  GTask         *task; /* a strong ref until the result is back */
  JobFunc        func;
  GCallback      call; /* the database function of a generic job */
  gpointer       data;
  GDestroyNotify data_free;
  GDestroyNotify result_free;
  gboolean       no_connection;
  gpointer       result;
  GError        *error;
  /* What the job changed, announced on the main context: on success, or
   * always when announce_always (demo data stays when cancelled). */
  Changes  changes;
  Changes  on_success; /* what a generic save job changes */
  gboolean announce_always;
  char    *customer_id;
  char    *purchase_id;
};

typedef struct
{
  SkDatabase *db;
  guint       generation;
} Connection;

struct _SkRepository
{
  GObject parent_instance;

  char         *path;
  GMainContext *context;
  GThreadPool  *pool;
  GMutex        idle_lock;
  GPtrArray    *idle; /* Connection, not in use */
  /* Jobs on the file hold it shared; replacing the file holds it alone. */
  GRWLock file_lock;
  guint   generation; /* atomic */
  guint   n_jobs;     /* atomic */
  guint   n_opened;   /* atomic */
  /* HQ, while the app is connected to it (sk_repository_set_hq). */
  GMutex   hq_lock;
  char    *hq_url;
  char    *hq_token;
  gboolean hq_out_of_reach; /* the last sync could not reach it */
};

G_DEFINE_FINAL_TYPE (SkRepository, sk_repository, G_TYPE_OBJECT)

enum
{
  CUSTOMER_CHANGED,
  PURCHASE_CHANGED,
  RULES_CHANGED,
  CAMPAIGNS_CHANGED,
  STORES_CHANGED,
  DATABASE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum
{
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
connection_free (gpointer data)
{
  Connection *conn = data;

  g_clear_object (&conn->db);
  g_free (conn);
}

static void
job_free (Job *job)
{
  if (job->data_free != NULL)
    g_clear_pointer (&job->data, job->data_free);
  if (job->result_free != NULL)
    g_clear_pointer (&job->result, job->result_free);
  g_clear_error (&job->error);
  g_free (job->customer_id);
  g_free (job->purchase_id);
  g_free (job);
}

/* A connection to the file as it is now: one kept from an earlier job, or
 * a new one when there is none or the file was replaced since. */
static Connection *
acquire (SkRepository *self, GError **error)
{
  guint       generation = g_atomic_int_get (&self->generation);
  Connection *conn = NULL;

  g_mutex_lock (&self->idle_lock);
  if (self->idle->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle, self->idle->len - 1);
  g_mutex_unlock (&self->idle_lock);
  if (conn != NULL && conn->generation != generation)
    g_clear_object (&conn->db);
  if (conn == NULL)
    conn = g_new0 (Connection, 1);
  if (conn->db == NULL)
    {
      conn->db = sk_database_open (self->path, error);
      conn->generation = generation;
      if (conn->db == NULL)
        {
          g_free (conn);
          return NULL;
        }
      g_atomic_int_inc (&self->n_opened);
    }
  return conn;
}

static void
release (SkRepository *self, Connection *conn)
{
  g_mutex_lock (&self->idle_lock);
  g_ptr_array_add (self->idle, conn);
  g_mutex_unlock (&self->idle_lock);
}

static void
announce (SkRepository *self, Job *job)
{
  if (job->changes & CHANGED_DATABASE)
    {
      g_signal_emit (self, signals[DATABASE_CHANGED], 0);
      return;
    }
  if (job->changes & CHANGED_STORES)
    g_signal_emit (self, signals[STORES_CHANGED], 0);
  if (job->changes & CHANGED_RULES)
    g_signal_emit (self, signals[RULES_CHANGED], 0);
  if (job->changes & CHANGED_CAMPAIGNS)
    g_signal_emit (self, signals[CAMPAIGNS_CHANGED], 0);
  if ((job->changes & CHANGED_CUSTOMER) && job->customer_id != NULL)
    g_signal_emit (self, signals[CUSTOMER_CHANGED], 0, job->customer_id);
  if ((job->changes & CHANGED_PURCHASE) && job->purchase_id != NULL)
    g_signal_emit (self, signals[PURCHASE_CHANGED], 0, job->purchase_id, job->customer_id);
}

void
sk_repository_announce_changes (SkRepository      *self,
                                gboolean           stores,
                                gboolean           rules,
                                gboolean           campaigns,
                                const char *const *customer_ids,
                                gboolean           everything)
{
  Job job = { 0 };

  g_return_if_fail (SK_IS_REPOSITORY (self));

  job.changes = (everything ? CHANGED_DATABASE : 0) | (stores ? CHANGED_STORES : 0)
                | (rules ? CHANGED_RULES : 0) | (campaigns ? CHANGED_CAMPAIGNS : 0);
  announce (self, &job);
  if (everything || customer_ids == NULL)
    return;
  for (guint i = 0; customer_ids[i] != NULL; i++)
    g_signal_emit (self, signals[CUSTOMER_CHANGED], 0, customer_ids[i]);
}

/* On the main context: the changes first, so that the views are told
 * before the caller's callback runs (a cancelled caller still has them). */
static gboolean
job_complete (gpointer data)
{
  Job          *job = data;
  GTask        *task = job->task;
  SkRepository *self = g_task_get_source_object (task);

  if (job->error == NULL || job->announce_always)
    announce (self, job);
  if (job->error != NULL)
    g_task_return_error (task, g_steal_pointer (&job->error));
  else
    g_task_return_pointer (task, g_steal_pointer (&job->result), job->result_free);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
pool_run (gpointer data, gpointer user_data)
{
  Job          *job = data;
  SkRepository *self = user_data;
  GCancellable *cancellable = g_task_get_cancellable (job->task);

  g_atomic_int_inc (&self->n_jobs);
  if (g_cancellable_is_cancelled (cancellable))
    g_cancellable_set_error_if_cancelled (cancellable, &job->error);
  else if (job->no_connection)
    job->result = job->func (self, NULL, job, cancellable, &job->error);
  else
    {
      Connection *conn;

      g_rw_lock_reader_lock (&self->file_lock);
      conn = acquire (self, &job->error);
      if (conn != NULL)
        {
          job->result = job->func (self, conn->db, job, cancellable, &job->error);
          release (self, conn);
        }
      g_rw_lock_reader_unlock (&self->file_lock);
    }
  g_main_context_invoke (self->context, job_complete, job);
}

static Job *
job_new (SkRepository       *self,
         gpointer            source_tag,
         JobFunc             func,
         gpointer            data,
         GDestroyNotify      data_free,
         GDestroyNotify      result_free,
         GCancellable       *cancellable,
         GAsyncReadyCallback callback,
         gpointer            user_data)
{
  Job *job = g_new0 (Job, 1);

  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  g_task_set_task_data (job->task, job, (GDestroyNotify)job_free);
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;
  return job;
}

static void
job_push (SkRepository *self, Job *job)
{
  g_thread_pool_push (self->pool, job, NULL);
}

static void
run (SkRepository       *self,
     gpointer            source_tag,
     JobFunc             func,
     gpointer            data,
     GDestroyNotify      data_free,
     GDestroyNotify      result_free,
     GCancellable       *cancellable,
     GAsyncReadyCallback callback,
     gpointer            user_data)
{
  job_push (self, job_new (self, source_tag, func, data, data_free, result_free, cancellable,
                           callback, user_data));
}

static gpointer
finish (SkRepository *self, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (SK_IS_REPOSITORY (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Generic jobs: one call of a database function, given to run_list(),
 * run_get() or run_save(). */

typedef GPtrArray *(*ListFunc) (SkDatabase *db, GError **error);
typedef gpointer (*GetFunc) (SkDatabase *db, const char *key, GError **error);
typedef gboolean (*SaveFunc) (SkDatabase *db, gpointer record, GError **error);

static gpointer
list_job (SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  return ((ListFunc)job->call) (db, error);
}

static gpointer
get_job (SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  return ((GetFunc)job->call) (db, job->data, error);
}

/* HQ's address, and the account's token in *@token, while the app is
 * connected; else NULL. A job's own copies (the token to wipe after). */
static char *
hq_of (SkRepository *self, char **token, gboolean *out_of_reach)
{
  char *url;

  g_mutex_lock (&self->hq_lock);
  url = g_strdup (self->hq_url);
  *token = g_strdup (self->hq_token);
  *out_of_reach = self->hq_out_of_reach;
  g_mutex_unlock (&self->hq_lock);
  return url;
}

static void
wipe (char *token)
{
  if (token != NULL)
    memset (token, 0, strlen (token));
}

/* Seconds HQ is waited for: a read (a page to show), a save. */
#define HQ_READ_TIMEOUT  10
#define HQ_WRITE_TIMEOUT 60

/* @method @path at HQ as the app's account, on a job's worker, with
 * @json or @csv as its body (or neither): FALSE while the app is not
 * connected, or when HQ refuses the account (403) and @here_if_refused
 * (what HQ shows to some accounts only: the others see this file's);
 * else TRUE, and *answer is HQ's answer, or NULL with @error. */
static gboolean
at_hq (SkRepository *self,
       const char   *method,
       const char   *path,
       JsonNode     *json,
       GBytes       *csv,
       gboolean      here_if_refused,
       GCancellable *cancellable,
       JsonNode    **answer,
       GError      **error)
{
  g_autofree char *token = NULL;
  gboolean         out_of_reach = FALSE;
  g_autofree char *url = hq_of (self, &token, &out_of_reach);
  g_autoptr (GBytes) body = sk_json_to_bytes (json);
  g_autoptr (GError) local = NULL;

  *answer = NULL;
  /* What this file can answer is not waited for while HQ is out of reach
   * (a till offline goes on working). */
  if (url == NULL || (here_if_refused && out_of_reach))
    {
      wipe (token);
      return FALSE;
    }
  /* A read waits less than a save: a page is not held up by a slow HQ. */
  *answer = sk_sync_call (url, token, method, path,
                          json != NULL  ? "application/json"
                          : csv != NULL ? "text/csv"
                                        : NULL,
                          json != NULL ? body : csv,
                          g_str_equal (method, "GET") ? HQ_READ_TIMEOUT : HQ_WRITE_TIMEOUT, NULL,
                          cancellable, &local);
  wipe (token);
  if (*answer == NULL && here_if_refused && g_error_matches (local, SK_ERROR, SK_ERROR_FORBIDDEN))
    return FALSE;
  if (*answer == NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return TRUE;
}

/* Where HQ keeps @record's kind, for what the app edits at HQ: the rules,
 * the campaigns and the products. */
static const char *
hq_path_of (gpointer record)
{
  if (SK_IS_DISCOUNT_RULE (record))
    return "/api/discounts/rules";
  if (SK_IS_CAMPAIGN (record))
    return "/api/campaigns";
  if (SK_IS_PRODUCT (record))
    return "/api/products";
  return NULL;
}

/* A rule, a campaign or a product saved at HQ, while the app is
 * connected (new: POST; else PUT with the version read, which HQ refuses
 * as stale when someone saved it meanwhile), then kept here as HQ
 * answered. FALSE while it is not (or HQ leaves a product to the till);
 * else TRUE, and *saved is the copy, or NULL with @error. */
static gboolean
save_at_hq (SkRepository *self,
            SkDatabase   *db,
            SkRecord     *record,
            GCancellable *cancellable,
            SkRecord    **saved,
            GError      **error)
{
  gboolean    create = sk_record_get_int64 (record, "version") == 0;
  const char *key
      = SK_IS_PRODUCT (record) ? sk_record_get_string (record, "sku") : sk_record_get_id (record);
  g_autofree char *escaped = key != NULL ? g_uri_escape_string (key, NULL, FALSE) : NULL;
  g_autofree char *path = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (SkRecord) kept = NULL;

  *saved = NULL;
  if (hq_path_of (record) == NULL)
    return FALSE;
  path = create ? g_strdup (hq_path_of (record))
                : g_strdup_printf ("%s/%s", hq_path_of (record), escaped);
  body = sk_record_to_json (record);
  /* HQ's catalogue is an admin's: a store's manager adds to its till's. */
  if (!at_hq (self, create ? "POST" : "PUT", path, body, NULL, SK_IS_PRODUCT (record), cancellable,
              &answer, error))
    return FALSE;
  if (answer == NULL)
    return TRUE;
  kept = sk_record_from_json (G_OBJECT_TYPE (record), answer, error);
  if (kept != NULL && sk_database_keep_hq_record (db, kept, error))
    *saved = g_steal_pointer (&kept);
  return TRUE;
}

static gpointer
save_job (SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  SkRecord *saved = NULL;

  if (!save_at_hq (self, db, job->data, cancellable, &saved, error))
    saved = ((SaveFunc)job->call) (db, job->data, error) ? g_object_ref (job->data) : NULL;
  if (saved != NULL)
    job->changes = job->on_success;
  return saved;
}

/* The records @list returns, as a GPtrArray. */
static void
run_list (SkRepository       *self,
          gpointer            source_tag,
          ListFunc            list,
          GCancellable       *cancellable,
          GAsyncReadyCallback callback,
          gpointer            user_data)
{
  Job *job = job_new (self, source_tag, list_job, NULL, NULL, (GDestroyNotify)g_ptr_array_unref,
                      cancellable, callback, user_data);

  job->call = G_CALLBACK (list);
  job_push (self, job);
}

/* The object @get finds by @key. */
static void
run_get (SkRepository       *self,
         gpointer            source_tag,
         GetFunc             get,
         const char         *key,
         GCancellable       *cancellable,
         GAsyncReadyCallback callback,
         gpointer            user_data)
{
  Job *job = job_new (self, source_tag, get_job, g_strdup (key), g_free, g_object_unref,
                      cancellable, callback, user_data);

  job->call = G_CALLBACK (get);
  job_push (self, job);
}

/* Saves a copy of @record with @save (which writes the id and version
 * into the copy) and returns the copy; on success announces @changes. */
static void
run_save (SkRepository       *self,
          gpointer            source_tag,
          SaveFunc            save,
          SkRecord           *record,
          Changes             changes,
          GCancellable       *cancellable,
          GAsyncReadyCallback callback,
          gpointer            user_data)
{
  Job *job = job_new (self, source_tag, save_job, sk_record_copy (record), g_object_unref,
                      g_object_unref, cancellable, callback, user_data);

  job->call = G_CALLBACK (save);
  job->on_success = changes;
  job_push (self, job);
}

/* The public pairs of the generic jobs: @name_async checks its arguments
 * and runs the job, @name_finish returns its result. */

#define DEFINE_LIST(name, list)                                                                    \
  void name##_async (SkRepository *self, GCancellable *cancellable, GAsyncReadyCallback callback,  \
                     gpointer user_data)                                                           \
  {                                                                                                \
    g_return_if_fail (SK_IS_REPOSITORY (self));                                                    \
    run_list (self, name##_async, list, cancellable, callback, user_data);                         \
  }                                                                                                \
  GPtrArray *name##_finish (SkRepository *self, GAsyncResult *result, GError **error)              \
  {                                                                                                \
    return finish (self, result, name##_async, error);                                             \
  }

#define DEFINE_GET(name, Type, get)                                                                \
  void name##_async (SkRepository *self, const char *key, GCancellable *cancellable,               \
                     GAsyncReadyCallback callback, gpointer user_data)                             \
  {                                                                                                \
    g_return_if_fail (SK_IS_REPOSITORY (self));                                                    \
    g_return_if_fail (key != NULL);                                                                \
    run_get (self, name##_async, (GetFunc)get, key, cancellable, callback, user_data);             \
  }                                                                                                \
  Type *name##_finish (SkRepository *self, GAsyncResult *result, GError **error)                   \
  {                                                                                                \
    return finish (self, result, name##_async, error);                                             \
  }

#define DEFINE_SAVE(name, Type, IS_TYPE, save, changes)                                            \
  void name##_async (SkRepository *self, Type *record, GCancellable *cancellable,                  \
                     GAsyncReadyCallback callback, gpointer user_data)                             \
  {                                                                                                \
    g_return_if_fail (SK_IS_REPOSITORY (self));                                                    \
    g_return_if_fail (IS_TYPE (record));                                                           \
    run_save (self, name##_async, (SaveFunc)save, SK_RECORD (record), changes, cancellable,        \
              callback, user_data);                                                                \
  }                                                                                                \
  Type *name##_finish (SkRepository *self, GAsyncResult *result, GError **error)                   \
  {                                                                                                \
    return finish (self, result, name##_async, error);                                             \
  }

void
sk_repository_set_hq (SkRepository *self, const char *server_url, const char *token)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));

  g_mutex_lock (&self->hq_lock);
  sk_set_str (&self->hq_url, server_url != NULL && token != NULL ? server_url : NULL);
  wipe (self->hq_token);
  sk_set_str (&self->hq_token, server_url != NULL ? token : NULL);
  self->hq_out_of_reach = FALSE;
  g_mutex_unlock (&self->hq_lock);
}

void
sk_repository_set_hq_out_of_reach (SkRepository *self, gboolean out_of_reach)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));

  g_mutex_lock (&self->hq_lock);
  self->hq_out_of_reach = out_of_reach;
  g_mutex_unlock (&self->hq_lock);
}

gboolean
sk_repository_get_hq_out_of_reach (SkRepository *self)
{
  gboolean out_of_reach;

  g_return_val_if_fail (SK_IS_REPOSITORY (self), FALSE);

  g_mutex_lock (&self->hq_lock);
  out_of_reach = self->hq_url != NULL && self->hq_out_of_reach;
  g_mutex_unlock (&self->hq_lock);
  return out_of_reach;
}

gboolean
sk_repository_get_at_hq (SkRepository *self)
{
  gboolean connected;

  g_return_val_if_fail (SK_IS_REPOSITORY (self), FALSE);
  g_mutex_lock (&self->hq_lock);
  connected = self->hq_url != NULL;
  g_mutex_unlock (&self->hq_lock);
  return connected;
}

SkRepository *
sk_repository_new (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);
  return g_object_new (SK_TYPE_REPOSITORY, "path", path, NULL);
}

const char *
sk_repository_get_path (SkRepository *self)
{
  g_return_val_if_fail (SK_IS_REPOSITORY (self), NULL);
  return self->path;
}

guint
sk_repository_get_generation (SkRepository *self)
{
  g_return_val_if_fail (SK_IS_REPOSITORY (self), 0);
  return g_atomic_int_get (&self->generation);
}

guint
sk_repository_get_n_jobs (SkRepository *self)
{
  g_return_val_if_fail (SK_IS_REPOSITORY (self), 0);
  return g_atomic_int_get (&self->n_jobs);
}

guint
sk_repository_get_n_opened (SkRepository *self)
{
  g_return_val_if_fail (SK_IS_REPOSITORY (self), 0);
  return g_atomic_int_get (&self->n_opened);
}

SkDatabase *
sk_repository_open_database (SkRepository *self, int cache_kib, GError **error)
{
  g_autoptr (SkDatabase) db = NULL;

  g_return_val_if_fail (SK_IS_REPOSITORY (self), NULL);
  db = sk_database_open (self->path, error);
  if (db == NULL)
    return NULL;
  if (cache_kib > 0 && sk_db_is_sqlite (db))
    {
      g_autofree char *pragma = g_strdup_printf ("PRAGMA cache_size = -%d", cache_kib);

      sk_db_exec_script (db, pragma, NULL);
    }
  return g_steal_pointer (&db);
}

/* Pricing a cart */

typedef struct
{
  SkCart *cart;
  char   *customer_id;
  gint64  now;
  gint64  usec; /* spent on the worker, read after the job is back */
} Calculation;

static void
calculation_free (Calculation *c)
{
  sk_cart_free (c->cart);
  g_free (c->customer_id);
  g_free (c);
}

static gpointer
calculate_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  Calculation    *c = job->data;
  gint64          start = g_get_monotonic_time ();
  SkEngineResult *result = sk_database_calculate (db, c->cart, c->customer_id, c->now, error);

  c->usec = g_get_monotonic_time () - start;
  return result;
}

void
sk_repository_calculate_async (SkRepository       *self,
                               const SkCart       *cart,
                               const char         *customer_id,
                               gint64              now,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  Calculation *c;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (cart != NULL);
  c = g_new0 (Calculation, 1);
  c->cart = sk_cart_copy (cart);
  c->customer_id = g_strdup (customer_id);
  c->now = now;
  run (self, sk_repository_calculate_async, calculate_job, c, (GDestroyNotify)calculation_free,
       (GDestroyNotify)sk_engine_result_free, cancellable, callback, user_data);
}

SkEngineResult *
sk_repository_calculate_finish (SkRepository *self,
                                GAsyncResult *result,
                                gint64       *engine_usec,
                                GError      **error)
{
  SkEngineResult *answer = finish (self, result, sk_repository_calculate_async, error);

  if (engine_usec != NULL)
    {
      *engine_usec = 0;
      if (answer != NULL)
        {
          Job         *job = g_task_get_task_data (G_TASK (result));
          Calculation *c = job->data;

          *engine_usec = c->usec;
        }
    }
  return answer;
}

/* Stores and products */

DEFINE_LIST (sk_repository_list_stores, sk_database_list_stores)

/* The store @id, else the first one (as a till with no setting sells). */
static SkStore *
resolve_store (SkDatabase *db, const char *id, GError **error)
{
  g_autoptr (GPtrArray) stores = NULL;

  if (id != NULL && *id != '\0')
    {
      SkStore *store = sk_database_get_store (db, id, NULL);

      if (store != NULL)
        return store;
    }
  stores = sk_database_list_stores (db, error);
  if (stores == NULL || stores->len == 0)
    return NULL;
  return g_object_ref (g_ptr_array_index (stores, 0));
}

void
sk_repository_get_store_async (SkRepository       *self,
                               const char         *id,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));
  run_get (self, sk_repository_get_store_async, (GetFunc)resolve_store, id, cancellable, callback,
           user_data);
}

SkStore *
sk_repository_get_store_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_get_store_async, error);
}

DEFINE_SAVE (sk_repository_save_store, SkStore, SK_IS_STORE, sk_database_save_store, CHANGED_STORES)

DEFINE_SAVE (
    sk_repository_save_product, SkProduct, SK_IS_PRODUCT, sk_database_save_product, CHANGED_STORES)

static gpointer
import_products_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  gsize       length = 0;
  const char *text = g_bytes_get_data (job->data, &length);
  g_autoptr (SkProductsCsv) csv = NULL;
  g_autofree SkProductImport *counts = g_new0 (SkProductImport, 1);
  g_autoptr (JsonNode) answer = NULL;

  /* Connected: into HQ's catalogue, which the tills pull (an admin's; a
   * store's manager imports into its till's). */
  if (at_hq (self, "POST", "/api/products/import", NULL, job->data, TRUE, cancellable, &answer,
             error))
    {
      if (answer != NULL && sk_product_import_from_json (answer, counts))
        return g_steal_pointer (&counts);
      if (answer != NULL)
        sk_set_field_error (error, SK_ERROR_MALFORMED, NULL, _ ("HQ's answer could not be read"));
      return NULL;
    }
  csv = sk_products_csv_parse (text, (gssize)length);
  if (!sk_database_import_products (db, csv, counts, error))
    return NULL;
  job->changes = CHANGED_STORES;
  return g_steal_pointer (&counts);
}

void
sk_repository_import_products_async (SkRepository       *self,
                                     GBytes             *csv,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (csv != NULL);
  run (self, sk_repository_import_products_async, import_products_job, g_bytes_ref (csv),
       (GDestroyNotify)g_bytes_unref, g_free, cancellable, callback, user_data);
}

SkProductImport *
sk_repository_import_products_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_import_products_async, error);
}

DEFINE_LIST (sk_repository_list_products, sk_database_list_products)

/* Customers */

DEFINE_GET (sk_repository_get_customer, SkCustomer, sk_database_get_customer)

DEFINE_GET (sk_repository_lookup_customer, SkCustomer, sk_database_lookup_customer)

void
sk_customer_details_free (SkCustomerDetails *details)
{
  if (details == NULL)
    return;
  g_clear_object (&details->customer);
  g_clear_pointer (&details->history, g_ptr_array_unref);
  g_clear_pointer (&details->ledger, g_ptr_array_unref);
  g_clear_pointer (&details->purchases, g_ptr_array_unref);
  g_free (details);
}

/* What a customer's page shows: the newest purchases and bonus
 * movements. */
#define CUSTOMER_PURCHASES 50
#define CUSTOMER_LEDGER    200

static int
newest_first (gconstpointer a, gconstpointer b)
{
  gint64 x = sk_record_get_int64 (*(gpointer *)a, "created_at");
  gint64 y = sk_record_get_int64 (*(gpointer *)b, "created_at");

  return x < y ? 1 : x > y ? -1 : 0;
}

/* A customer's @path at HQ (a page of @type), with what this file has
 * that HQ has not yet (a sale still on its way), newest first, at most
 * @limit; or HQ's alone, as HQ orders it, when this file's are not HQ's
 * (!@merge: a till works out its own segment changes); else @here, this
 * file's. The till keeps only its own sales, bonus movements and segment
 * changes: HQ has the customer's whole story (a manager, its store's
 * sales). An account HQ refuses (a cashier's), or HQ out of reach, sees
 * this file's. */
static GPtrArray *
customer_story (SkRepository *self,
                const char   *path,
                GType         type,
                guint         limit,
                GPtrArray    *here,
                gboolean      merge,
                gboolean     *till_only,
                GCancellable *cancellable)
{
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *query = g_strdup_printf ("%s?limit=%u", path, limit);
  GPtrArray       *story;

  if (here == NULL || !at_hq (self, "GET", query, NULL, NULL, TRUE, cancellable, &answer, &error)
      || answer == NULL || (story = sk_records_from_page (answer, type, NULL, &error)) == NULL)
    {
      if (error != NULL)
        g_debug ("A customer's %s from this file: %s", path, error->message);
      *till_only |= here != NULL && sk_repository_get_at_hq (self);
      return here != NULL ? g_ptr_array_ref (here) : NULL;
    }
  if (!merge)
    return story;
  for (guint i = 0; i < story->len; i++)
    g_hash_table_add (ids, (gpointer)sk_record_get_id (g_ptr_array_index (story, i)));
  for (guint i = 0; i < here->len; i++)
    if (!g_hash_table_contains (ids, sk_record_get_id (g_ptr_array_index (here, i))))
      g_ptr_array_add (story, g_object_ref (g_ptr_array_index (here, i)));
  g_ptr_array_sort (story, newest_first);
  if (story->len > limit)
    g_ptr_array_set_size (story, limit);
  return story;
}

static gpointer
customer_details_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  const char        *id = job->data;
  SkCustomerDetails *d = g_new0 (SkCustomerDetails, 1);
  g_autoptr (GPtrArray) ledger = NULL;
  g_autoptr (GPtrArray) purchases = NULL;
  g_autoptr (GPtrArray) history = NULL;
  g_autofree char *ledger_path = g_strdup_printf ("/api/bonuses/%s/transactions", id);
  g_autofree char *purchases_path = g_strdup_printf ("/api/customers/%s/purchases", id);
  g_autofree char *history_path = g_strdup_printf ("/api/customers/%s/segments", id);

  /* An unknown id is no error: the details then say nobody is chosen. */
  d->customer = sk_database_get_customer (db, id, NULL);
  if (d->customer != NULL && !g_cancellable_is_cancelled (cancellable))
    history = sk_database_list_segment_history (db, id, NULL);
  if (d->customer != NULL && !g_cancellable_is_cancelled (cancellable))
    ledger = sk_database_list_bonus_transactions (db, id, NULL);
  if (d->customer != NULL && !g_cancellable_is_cancelled (cancellable))
    purchases = sk_database_list_purchases (db, id, CUSTOMER_PURCHASES, NULL);
  d->history = customer_story (self, history_path, SK_TYPE_SEGMENT_ASSIGNMENT, CUSTOMER_LEDGER,
                               history, FALSE, &d->till_only, cancellable);
  d->ledger = customer_story (self, ledger_path, SK_TYPE_BONUS_TRANSACTION, CUSTOMER_LEDGER, ledger,
                              TRUE, &d->till_only, cancellable);
  d->purchases = customer_story (self, purchases_path, SK_TYPE_PURCHASE, CUSTOMER_PURCHASES,
                                 purchases, TRUE, &d->till_only, cancellable);
  return d;
}

void
sk_repository_load_customer_details_async (SkRepository       *self,
                                           const char         *id,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (id != NULL);
  run (self, sk_repository_load_customer_details_async, customer_details_job, g_strdup (id), g_free,
       (GDestroyNotify)sk_customer_details_free, cancellable, callback, user_data);
}

SkCustomerDetails *
sk_repository_load_customer_details_finish (SkRepository *self,
                                            GAsyncResult *result,
                                            GError      **error)
{
  return finish (self, result, sk_repository_load_customer_details_async, error);
}

typedef struct
{
  SkCustomer *customer;
  gboolean    create;
} CustomerSave;

static void
customer_save_free (CustomerSave *s)
{
  g_clear_object (&s->customer);
  g_free (s);
}

static gpointer
save_customer_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  CustomerSave *s = job->data;

  if (!(s->create ? sk_database_create_customer (db, s->customer, error)
                  : sk_database_update_customer (db, s->customer, error)))
    return NULL;
  job->changes = CHANGED_CUSTOMER;
  job->customer_id = g_strdup (sk_record_get_id (s->customer));
  return g_object_ref (s->customer);
}

void
sk_repository_save_customer_async (SkRepository       *self,
                                   SkCustomer         *customer,
                                   gboolean            create,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  CustomerSave *s;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (SK_IS_CUSTOMER (customer));
  /* The worker writes the id and version into its own copy. */
  s = g_new0 (CustomerSave, 1);
  s->customer = sk_record_copy (SK_RECORD (customer));
  s->create = create;
  run (self, sk_repository_save_customer_async, save_customer_job, s,
       (GDestroyNotify)customer_save_free, g_object_unref, cancellable, callback, user_data);
}

SkCustomer *
sk_repository_save_customer_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_save_customer_async, error);
}

typedef struct
{
  char  *customer_id;
  gint64 amount;
  char  *reason;
  char  *store_id;
} Adjustment;

static void
adjustment_free (Adjustment *a)
{
  g_free (a->customer_id);
  g_free (a->reason);
  g_free (a->store_id);
  g_free (a);
}

static gpointer
adjust_bonus_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  Adjustment *a = job->data;
  g_autoptr (SkStore) store = resolve_store (db, a->store_id, NULL);
  SkBonusTransaction *t;

  t = sk_database_bonus_manual (db, a->customer_id, SK_BONUS_ADJUST, a->amount, a->reason,
                                store != NULL ? sk_record_get_id (store) : NULL, error);
  if (t == NULL)
    return NULL;
  job->changes = CHANGED_CUSTOMER;
  job->customer_id = g_strdup (a->customer_id);
  return t;
}

void
sk_repository_adjust_bonus_async (SkRepository       *self,
                                  const char         *customer_id,
                                  gint64              amount,
                                  const char         *reason,
                                  const char         *store_id,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  Adjustment *a;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (customer_id != NULL);
  a = g_new0 (Adjustment, 1);
  a->customer_id = g_strdup (customer_id);
  a->amount = amount;
  a->reason = g_strdup (reason);
  a->store_id = g_strdup (store_id);
  run (self, sk_repository_adjust_bonus_async, adjust_bonus_job, a, (GDestroyNotify)adjustment_free,
       g_object_unref, cancellable, callback, user_data);
}

SkBonusTransaction *
sk_repository_adjust_bonus_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_adjust_bonus_async, error);
}

/* Sales */

static gpointer
process_purchase_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  SkPurchaseRequest *request = job->data;
  SkPurchaseResult  *result = sk_database_process_purchase (db, request, error);

  if (result == NULL)
    return NULL;
  job->changes = CHANGED_PURCHASE | CHANGED_CUSTOMER;
  job->purchase_id = g_strdup (sk_record_get_id (result->purchase));
  job->customer_id = g_strdup (request->customer_id);
  return result;
}

void
sk_repository_process_purchase_async (SkRepository       *self,
                                      SkPurchaseRequest  *request,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (request != NULL);
  run (self, sk_repository_process_purchase_async, process_purchase_job, request,
       (GDestroyNotify)sk_purchase_request_free, (GDestroyNotify)sk_purchase_result_free,
       cancellable, callback, user_data);
}

SkPurchaseResult *
sk_repository_process_purchase_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_process_purchase_async, error);
}

/* Returns */

typedef struct
{
  char *store_id;
  char *receipt;
} SalesQuery;

static void
sales_query_free (SalesQuery *q)
{
  g_free (q->store_id);
  g_free (q->receipt);
  g_free (q);
}

static gpointer
find_sales_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  SalesQuery *q = job->data;
  g_autoptr (SkStore) store = resolve_store (db, q->store_id, error);
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) sales = NULL;
  g_autoptr (GString) path = NULL;
  g_autoptr (JsonNode) answer = NULL;
  gboolean listing = sk_str_is_blank (q->receipt);
  g_autoptr (GError) unreached = NULL;

  if (store == NULL)
    return *error == NULL ? g_ptr_array_new () : NULL; /* no store, no sales */
  found = sk_database_find_sales (db, sk_record_get_id (store), q->receipt,
                                  SK_REPOSITORY_SALES_FOUND, error);
  if (found == NULL || (found->len > 0 && !listing))
    return g_steal_pointer (&found);

  /* The store's latest sales, or a number this till does not know: sales
   * other tills of the store made, which HQ has; kept here, they are
   * taken back as the till's own. The list is this till's own when HQ is
   * out of reach; a number asked for is asked of HQ even then. */
  path = g_string_new ("/api/pos/purchases?store_id=");
  g_string_append_uri_escaped (path, sk_record_get_id (store), NULL, FALSE);
  g_string_append_printf (path, "&limit=%d", SK_REPOSITORY_SALES_FOUND);
  if (!listing)
    {
      g_string_append (path, "&receipt=");
      g_string_append_uri_escaped (path, q->receipt, NULL, FALSE);
    }
  if (!at_hq (self, "GET", path->str, NULL, NULL, listing, cancellable, &answer,
              listing ? &unreached : error))
    return g_steal_pointer (&found);
  sales = answer != NULL
              ? sk_records_from_page (answer, SK_TYPE_PURCHASE, NULL, listing ? &unreached : error)
              : NULL;
  if (sales == NULL)
    {
      if (!listing)
        return NULL;
      g_debug ("The store's latest sales from this file: %s", unreached->message);
      return g_steal_pointer (&found);
    }
  /* The store's latest are the store's copy; a sale looked up by its
   * receipt is one to take a return of, kept for good. */
  if (!sk_database_keep_hq_purchases (db, sales, listing, NULL, error))
    return NULL;
  g_clear_pointer (&found, g_ptr_array_unref);
  return sk_database_find_sales (db, sk_record_get_id (store), q->receipt,
                                 SK_REPOSITORY_SALES_FOUND, error);
}

void
sk_repository_find_sales_async (SkRepository       *self,
                                const char         *store_id,
                                const char         *receipt,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  SalesQuery *q;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  q = g_new0 (SalesQuery, 1);
  q->store_id = g_strdup (store_id);
  q->receipt = g_strdup (receipt);
  run (self, sk_repository_find_sales_async, find_sales_job, q, (GDestroyNotify)sales_query_free,
       (GDestroyNotify)g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
sk_repository_find_sales_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_find_sales_async, error);
}

typedef struct
{
  char   *refund_id;
  char   *purchase_id;
  GArray *lines;
} Refund;

static void
refund_free (Refund *r)
{
  g_free (r->refund_id);
  g_free (r->purchase_id);
  g_clear_pointer (&r->lines, g_array_unref);
  g_free (r);
}

static gpointer
refund_job (SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  Refund     *r = job->data;
  SkPurchase *purchase;

  purchase = sk_database_refund_purchase (db, r->refund_id, r->purchase_id, r->lines, error);
  if (purchase == NULL)
    return NULL;
  job->changes = CHANGED_PURCHASE | CHANGED_CUSTOMER;
  job->purchase_id = g_strdup (r->purchase_id);
  job->customer_id = g_strdup (sk_record_get_string (purchase, "customer_id"));
  return purchase;
}

void
sk_repository_refund_async (SkRepository       *self,
                            const char         *refund_id,
                            const char         *purchase_id,
                            GArray             *lines,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  Refund *r;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (refund_id != NULL && purchase_id != NULL);
  r = g_new0 (Refund, 1);
  r->refund_id = g_strdup (refund_id);
  r->purchase_id = g_strdup (purchase_id);
  r->lines = lines != NULL ? g_array_ref (lines) : NULL;
  run (self, sk_repository_refund_async, refund_job, r, (GDestroyNotify)refund_free, g_object_unref,
       cancellable, callback, user_data);
}

SkPurchase *
sk_repository_refund_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_refund_async, error);
}

/* Receipts by e-mail */

static gpointer
queue_receipt_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  gboolean queued = FALSE;

  if (!sk_database_queue_receipt (db, job->data, sk_time_now (), &queued, error))
    return NULL;
  /* Not NULL either way: queued, or queued before. */
  return GINT_TO_POINTER (queued ? 2 : 1);
}

void
sk_repository_queue_receipt_async (SkRepository       *self,
                                   const char         *purchase_id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (purchase_id != NULL);
  run (self, sk_repository_queue_receipt_async, queue_receipt_job, g_strdup (purchase_id), g_free,
       NULL, cancellable, callback, user_data);
}

gboolean
sk_repository_queue_receipt_finish (SkRepository *self,
                                    GAsyncResult *result,
                                    gboolean     *queued,
                                    GError      **error)
{
  gpointer done = finish (self, result, sk_repository_queue_receipt_async, error);

  if (queued != NULL)
    *queued = GPOINTER_TO_INT (done) == 2;
  return done != NULL;
}

/* Rules and campaigns */

DEFINE_LIST (sk_repository_list_rules, sk_database_list_rules)

DEFINE_SAVE (sk_repository_save_rule,
             SkDiscountRule,
             SK_IS_DISCOUNT_RULE,
             sk_database_save_rule,
             CHANGED_RULES)

DEFINE_LIST (sk_repository_list_campaigns, sk_database_list_campaigns)

/* A campaign's rule_ids move rules into it and out of it. */
DEFINE_SAVE (sk_repository_save_campaign,
             SkCampaign,
             SK_IS_CAMPAIGN,
             sk_database_save_campaign,
             CHANGED_CAMPAIGNS | CHANGED_RULES)

static gpointer
get_stored_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  const char      *id = sk_record_get_id (job->data);
  g_autofree char *path
      = hq_path_of (job->data) ? g_strdup_printf ("%s/%s", hq_path_of (job->data), id) : NULL;
  g_autoptr (JsonNode) answer = NULL;

  /* What the app edits at HQ is HQ's as stored. */
  if (path != NULL && at_hq (self, "GET", path, NULL, NULL, FALSE, cancellable, &answer, error))
    return answer != NULL ? sk_record_from_json (G_OBJECT_TYPE (job->data), answer, error) : NULL;
  if (SK_IS_CUSTOMER (job->data))
    return sk_database_get_customer (db, id, error);
  if (SK_IS_DISCOUNT_RULE (job->data))
    return sk_database_get_rule (db, id, error);
  return sk_database_get_campaign (db, id, error);
}

void
sk_repository_get_stored_async (SkRepository       *self,
                                SkRecord           *record,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (SK_IS_CUSTOMER (record) || SK_IS_DISCOUNT_RULE (record)
                    || SK_IS_CAMPAIGN (record));
  g_return_if_fail (sk_record_get_id (record) != NULL);
  run (self, sk_repository_get_stored_async, get_stored_job, sk_record_copy (record),
       g_object_unref, g_object_unref, cancellable, callback, user_data);
}

gpointer
sk_repository_get_stored_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_get_stored_async, error);
}

gboolean
sk_rule_preview_compute (SkDatabase     *db,
                         SkDiscountRule *rule,
                         gint64          from,
                         gint64          to,
                         guint           limit,
                         SkRulePreview  *out,
                         GError        **error)
{
  g_autoptr (GPtrArray) purchases = NULL;
  g_autoptr (GPtrArray) campaigns = NULL;
  g_autoptr (GPtrArray) rules = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) segments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  SkDiscountRule *copy;

  g_return_val_if_fail (SK_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (SK_IS_DISCOUNT_RULE (rule), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  copy = sk_record_copy (SK_RECORD (rule));
  memset (out, 0, sizeof *out);
  copy->uses = 0;
  copy->usage_limit_total = 0;
  copy->usage_limit_per_customer = 0;
  g_ptr_array_add (rules, copy);
  purchases = sk_database_list_purchases_between (db, from, to, limit, error);
  if (purchases == NULL)
    return FALSE;
  campaigns = sk_database_list_campaigns (db, error);
  if (campaigns == NULL)
    return FALSE;
  for (guint i = 0; i < purchases->len; i++)
    {
      SkPurchase *p = g_ptr_array_index (purchases, i);
      GListModel *lines = sk_purchase_get_lines (p);
      g_autoptr (SkCart) cart = sk_cart_new (p->store_id);
      g_autoptr (SkEngineCustomer) customer = NULL;
      g_autoptr (SkEngineResult) result = NULL;

      for (guint j = 0; j < g_list_model_get_n_items (lines); j++)
        {
          g_autoptr (SkPurchaseLine) l = g_list_model_get_item (lines, j);

          sk_cart_add_line (cart, l->sku, l->name, l->category, l->unit_price, l->quantity);
        }
      if (p->customer_id != NULL)
        {
          const char *segment = g_hash_table_lookup (segments, p->customer_id);

          if (segment == NULL)
            {
              g_autoptr (SkCustomer) c = sk_database_get_customer (db, p->customer_id, NULL);
              char *stored = g_strdup (c && c->segment ? c->segment : SK_SEGMENT_NEW);

              /* The table's copy, not the customer's: the customer is freed
               * at the end of this block, the table lives for the loop. */
              g_hash_table_insert (segments, g_strdup (p->customer_id), stored);
              segment = stored;
            }
          customer = sk_engine_customer_new (p->customer_id, segment);
        }
      if (!sk_cart_validate (cart, NULL))
        continue;
      result = sk_discount_engine_calculate (cart, customer, rules, campaigns, p->created_at);
      out->purchases++;
      if (result->applied->len > 0)
        {
          out->matched++;
          out->amount += result->discount_total;
        }
    }
  return TRUE;
}

typedef struct
{
  SkDiscountRule *rule;
  gint64          from;
  gint64          to;
  guint           limit;
} PreviewRequest;

static void
preview_request_free (PreviewRequest *p)
{
  g_clear_object (&p->rule);
  g_free (p);
}

static gpointer
preview_rule_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  PreviewRequest           *p = job->data;
  g_autofree SkRulePreview *preview = g_new0 (SkRulePreview, 1);

  if (!sk_rule_preview_compute (db, p->rule, p->from, p->to, p->limit, preview, error))
    return NULL;
  return g_steal_pointer (&preview);
}

void
sk_repository_preview_rule_async (SkRepository       *self,
                                  SkDiscountRule     *rule,
                                  gint64              from,
                                  gint64              to,
                                  guint               limit,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  PreviewRequest *p;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (SK_IS_DISCOUNT_RULE (rule));
  p = g_new0 (PreviewRequest, 1);
  p->rule = sk_record_copy (SK_RECORD (rule));
  p->from = from;
  p->to = to;
  p->limit = limit;
  run (self, sk_repository_preview_rule_async, preview_rule_job, p,
       (GDestroyNotify)preview_request_free, g_free, cancellable, callback, user_data);
}

SkRulePreview *
sk_repository_preview_rule_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_preview_rule_async, error);
}

/* Analytics */

static gpointer
campaign_figures_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  g_autofree SkCampaignFigures *figures = g_new0 (SkCampaignFigures, 1);
  g_autofree char              *escaped = g_uri_escape_string (job->data, NULL, FALSE);
  g_autofree char              *path = g_strdup_printf ("/api/campaigns/%s/figures", escaped);
  g_autoptr (JsonNode) answer = NULL;

  /* Connected: HQ's figures (this file has the sales made here, and only
   * the recent ones of its store's other tills): the chain's to an HQ
   * account, its store's to a manager; a cashier, refused, sees its
   * till's. */
  if (at_hq (self, "GET", path, NULL, NULL, TRUE, cancellable, &answer, error))
    return answer != NULL && sk_campaign_figures_from_json (answer, figures, error)
               ? g_steal_pointer (&figures)
               : NULL;
  if (!sk_analytics_campaign (db, job->data, NULL, figures, error))
    return NULL;
  return g_steal_pointer (&figures);
}

void
sk_repository_campaign_figures_async (SkRepository       *self,
                                      const char         *campaign_id,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (campaign_id != NULL);
  run (self, sk_repository_campaign_figures_async, campaign_figures_job, g_strdup (campaign_id),
       g_free, g_free, cancellable, callback, user_data);
}

SkCampaignFigures *
sk_repository_campaign_figures_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_campaign_figures_async, error);
}

typedef struct
{
  char    *campaign_id;
  gboolean send;
} Announcement;

static void
announcement_free (Announcement *a)
{
  g_free (a->campaign_id);
  g_free (a);
}

static gpointer
announce_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  Announcement       *a = job->data;
  g_autofree SkReach *reach = g_new0 (SkReach, 1);
  g_autofree char    *escaped = g_uri_escape_string (a->campaign_id, NULL, FALSE);
  g_autofree char    *path = g_strdup_printf (
         a->send ? "/api/campaigns/%s/announce" : "/api/campaigns/%s/announcement", escaped);
  g_autoptr (JsonNode) answer = NULL;

  /* Connected: HQ has the chain's customers, and sends. */
  if (at_hq (self, a->send ? "POST" : "GET", path, NULL, NULL, FALSE, cancellable, &answer, error))
    return answer != NULL && sk_reach_from_json (answer, a->send ? "queued" : "reach", reach, error)
               ? g_steal_pointer (&reach)
               : NULL;
  if (!(a->send
            ? sk_database_announce_campaign (db, a->campaign_id, g_get_real_time (), reach, error)
            : sk_database_campaign_reach (db, a->campaign_id, reach, error)))
    return NULL;
  return g_steal_pointer (&reach);
}

void
sk_repository_announce_async (SkRepository       *self,
                              const char         *campaign_id,
                              gboolean            send,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  Announcement *a;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (campaign_id != NULL);
  a = g_new0 (Announcement, 1);
  a->campaign_id = g_strdup (campaign_id);
  a->send = send;
  run (self, sk_repository_announce_async, announce_job, a, (GDestroyNotify)announcement_free,
       g_free, cancellable, callback, user_data);
}

SkReach *
sk_repository_announce_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_announce_async, error);
}

typedef struct
{
  gint64 from;
  gint64 to;
  char  *store_id;
} Period;

static void
period_free (Period *p)
{
  g_free (p->store_id);
  g_free (p);
}

static gpointer
chart_figures_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  Period     *p = job->data;
  const char *stores[] = { p->store_id, NULL };
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autofree char *from = sk_time_to_rfc3339 (p->from);
  g_autofree char *to = sk_time_to_rfc3339 (p->to);

  /* Connected: the chain's figures (those HQ lets the account read). */
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "from");
  json_builder_add_string_value (b, from);
  json_builder_set_member_name (b, "to");
  json_builder_add_string_value (b, to);
  if (p->store_id != NULL)
    {
      json_builder_set_member_name (b, "store_ids");
      json_builder_begin_array (b);
      json_builder_add_string_value (b, p->store_id);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  if (at_hq (self, "POST", "/api/analytics", body, NULL, FALSE, cancellable, &answer, error))
    return answer != NULL ? sk_chart_figures_from_json (answer, error) : NULL;
  return sk_analytics_figures (db, p->from, p->to, p->store_id ? stores : NULL, error);
}

void
sk_repository_chart_figures_async (SkRepository       *self,
                                   gint64              from,
                                   gint64              to,
                                   const char         *store_id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  Period *p;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  p = g_new0 (Period, 1);
  p->from = from;
  p->to = to;
  p->store_id = g_strdup (store_id);
  run (self, sk_repository_chart_figures_async, chart_figures_job, p, (GDestroyNotify)period_free,
       (GDestroyNotify)sk_chart_figures_free, cancellable, callback, user_data);
}

SkChartFigures *
sk_repository_chart_figures_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_chart_figures_async, error);
}

/* Demo data */

static const char *const file_suffixes[] = { "-wal", "-shm", "-journal" };

static void
unlink_database (const char *path)
{
  g_unlink (path);
  for (guint i = 0; i < G_N_ELEMENTS (file_suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, file_suffixes[i], NULL);

      g_unlink (file);
    }
}

/* Moves @fresh over the file while no job uses it; the workers open the
 * new one on their next job. */
static gboolean
replace_file (SkRepository *self, const char *fresh, GError **error)
{
  gboolean ok = TRUE;

  g_rw_lock_writer_lock (&self->file_lock);
  g_mutex_lock (&self->idle_lock);
  g_ptr_array_set_size (self->idle, 0);
  g_mutex_unlock (&self->idle_lock);
  for (guint i = 0; i < G_N_ELEMENTS (file_suffixes); i++)
    {
      g_autofree char *old = g_strconcat (self->path, file_suffixes[i], NULL);
      g_autofree char *fresh_file = g_strconcat (fresh, file_suffixes[i], NULL);

      g_unlink (old);
      if (g_file_test (fresh_file, G_FILE_TEST_EXISTS))
        g_rename (fresh_file, old);
    }
  if (g_rename (fresh, self->path) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _ ("Cannot replace the database: %s"), g_strerror (saved));
      ok = FALSE;
    }
  /* Even on failure: the -wal of the old file may be gone. */
  g_atomic_int_inc (&self->generation);
  g_rw_lock_writer_unlock (&self->file_lock);
  return ok;
}

static gpointer
demo_job (SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  const SkDemoOptions *options = job->data;

  job->changes = CHANGED_DATABASE;
  job->announce_always = TRUE;
  if (!sk_demo_generate (db, options, cancellable, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static gpointer
reset_demo_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  const SkDemoOptions *options = job->data;
  g_autofree char     *fresh = g_strconcat (self->path, ".reset", NULL);
  g_autoptr (SkDatabase) fresh_db = NULL;

  unlink_database (fresh);
  fresh_db = sk_database_open (fresh, error);
  if (fresh_db == NULL || !sk_demo_generate (fresh_db, options, cancellable, error))
    {
      g_clear_object (&fresh_db);
      unlink_database (fresh);
      return NULL;
    }
  g_clear_object (&fresh_db);
  job->changes = CHANGED_DATABASE;
  job->announce_always = TRUE;
  if (!replace_file (self, fresh, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

void
sk_repository_generate_demo_async (SkRepository        *self,
                                   const SkDemoOptions *options,
                                   gboolean             replace,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Job *job;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (options != NULL);
  job = job_new (self, sk_repository_generate_demo_async, replace ? reset_demo_job : demo_job,
                 g_memdup2 (options, sizeof *options), g_free, NULL, cancellable, callback,
                 user_data);
  job->no_connection = replace;
  job_push (self, job);
}

gboolean
sk_repository_generate_demo_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_generate_demo_async, error) != NULL;
}

/* The object */

static void
sk_repository_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkRepository *self = SK_REPOSITORY (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_repository_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SkRepository *self = SK_REPOSITORY (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_repository_finalize (GObject *object)
{
  SkRepository *self = SK_REPOSITORY (object);

  /* Every job holds a reference: none is queued or running now. */
  g_thread_pool_free (self->pool, TRUE, TRUE);
  g_clear_pointer (&self->idle, g_ptr_array_unref);
  g_mutex_clear (&self->idle_lock);
  g_rw_lock_clear (&self->file_lock);
  g_mutex_clear (&self->hq_lock);
  g_free (self->hq_url);
  wipe (self->hq_token);
  g_free (self->hq_token);
  g_main_context_unref (self->context);
  g_free (self->path);
  G_OBJECT_CLASS (sk_repository_parent_class)->finalize (object);
}

static void
sk_repository_class_init (SkRepositoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sk_repository_finalize;
  object_class->get_property = sk_repository_get_property;
  object_class->set_property = sk_repository_set_property;

  properties[PROP_PATH]
      = g_param_spec_string ("path", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A customer was created or edited, or their bonuses moved. */
  signals[CUSTOMER_CHANGED]
      = g_signal_new ("customer-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* A sale recorded or returned (purchase id, customer id or NULL); the
   * rules' uses and the campaigns' spending may have moved with it. */
  signals[PURCHASE_CHANGED]
      = g_signal_new ("purchase-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[RULES_CHANGED] = g_signal_new ("rules-changed", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[CAMPAIGNS_CHANGED]
      = g_signal_new ("campaigns-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 0);
  /* The stores or the products. */
  signals[STORES_CHANGED] = g_signal_new ("stores-changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Everything may have changed (demo data, the file replaced). */
  signals[DATABASE_CHANGED] = g_signal_new ("database-changed", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sk_repository_init (SkRepository *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->idle = g_ptr_array_new_with_free_func (connection_free);
  g_mutex_init (&self->idle_lock);
  g_mutex_init (&self->hq_lock);
  g_rw_lock_init (&self->file_lock);
  /* Not exclusive: idle threads go back to GLib's shared pool. */
  self->pool = g_thread_pool_new (pool_run, self, SK_REPOSITORY_WORKERS, FALSE, NULL);
}

/* Notifications */

void
sk_notification_page_free (SkNotificationPage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->notifications, g_ptr_array_unref);
  g_free (page->next_cursor);
  g_free (page);
}

typedef struct
{
  char *customer_id;
  char *cursor;
  guint limit;
} NotificationQuery;

static void
notification_query_free (NotificationQuery *q)
{
  g_free (q->customer_id);
  g_free (q->cursor);
  g_free (q);
}

static gpointer
list_notifications_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  NotificationQuery *q = job->data;
  g_autoptr (SkNotificationPage) page = g_new0 (SkNotificationPage, 1);
  g_autoptr (GString) path = g_string_new ("/api/notifications?limit=");
  g_autoptr (JsonNode) answer = NULL;

  /* Connected: HQ's outbox, which sends them and knows what became of
   * each (this file has only what was queued here); a cashier's account
   * may not read it there, and sees this till's. */
  g_string_append_printf (path, "%u", q->limit);
  if (q->customer_id != NULL)
    {
      g_string_append (path, "&customer_id=");
      g_string_append_uri_escaped (path, q->customer_id, NULL, FALSE);
    }
  if (q->cursor != NULL)
    {
      g_string_append (path, "&cursor=");
      g_string_append_uri_escaped (path, q->cursor, NULL, FALSE);
    }
  if (at_hq (self, "GET", path->str, NULL, NULL, TRUE, cancellable, &answer, error))
    {
      page->notifications = answer != NULL ? sk_records_from_page (answer, SK_TYPE_NOTIFICATION,
                                                                   &page->next_cursor, error)
                                           : NULL;
      return page->notifications != NULL ? g_steal_pointer (&page) : NULL;
    }
  page->notifications = sk_database_list_notifications (db, q->customer_id, NULL, q->cursor,
                                                        q->limit, &page->next_cursor, error);
  return page->notifications != NULL ? g_steal_pointer (&page) : NULL;
}

void
sk_repository_list_notifications_async (SkRepository       *self,
                                        const char         *customer_id,
                                        const char         *cursor,
                                        guint               limit,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data)
{
  NotificationQuery *q;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (customer_id != NULL);
  q = g_new0 (NotificationQuery, 1);
  q->customer_id = g_strdup (customer_id);
  q->cursor = g_strdup (cursor);
  q->limit = limit;
  run (self, sk_repository_list_notifications_async, list_notifications_job, q,
       (GDestroyNotify)notification_query_free, (GDestroyNotify)sk_notification_page_free,
       cancellable, callback, user_data);
}

SkNotificationPage *
sk_repository_list_notifications_finish (SkRepository *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, sk_repository_list_notifications_async, error);
}

static SkNotificationTemplate *
template_copy (const SkNotificationTemplate *t)
{
  SkNotificationTemplate *copy = g_new0 (SkNotificationTemplate, 1);

  copy->event = g_strdup (t->event);
  copy->language = g_strdup (t->language);
  copy->subject = g_strdup (t->subject);
  copy->body = g_strdup (t->body);
  copy->version = t->version;
  return copy;
}

static gpointer
get_template_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  SkNotificationTemplate *key = job->data;
  g_autoptr (JsonNode) answer = NULL;

  /* At HQ's desk, HQ's templates: they are not pulled. */
  if (at_hq (self, "GET", "/api/notification-templates", NULL, NULL, FALSE, cancellable, &answer,
             error))
    {
      JsonArray *items = answer != NULL ? sk_json_page_items (answer, error) : NULL;

      if (items == NULL)
        return NULL;
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          g_autoptr (SkNotificationTemplate) t
              = sk_notification_template_from_json (json_array_get_element (items, i), NULL);

          if (t != NULL && g_str_equal (t->event, key->event)
              && g_str_equal (t->language, key->language))
            return g_steal_pointer (&t);
        }
      g_set_error (error, SK_ERROR, SK_ERROR_NOT_FOUND, _ ("No template of %s in %s"), key->event,
                   key->language);
      return NULL;
    }
  return sk_database_get_notification_template (db, key->event, key->language, error);
}

void
sk_repository_get_notification_template_async (SkRepository       *self,
                                               const char         *event,
                                               const char         *language,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data)
{
  SkNotificationTemplate *key;

  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (event != NULL && language != NULL);
  key = g_new0 (SkNotificationTemplate, 1);
  key->event = g_strdup (event);
  key->language = g_strdup (language);
  run (self, sk_repository_get_notification_template_async, get_template_job, key,
       (GDestroyNotify)sk_notification_template_free, (GDestroyNotify)sk_notification_template_free,
       cancellable, callback, user_data);
}

SkNotificationTemplate *
sk_repository_get_notification_template_finish (SkRepository *self,
                                                GAsyncResult *result,
                                                GError      **error)
{
  return finish (self, result, sk_repository_get_notification_template_async, error);
}

static gpointer
save_template_job (
    SkRepository *self, SkDatabase *db, Job *job, GCancellable *cancellable, GError **error)
{
  SkNotificationTemplate *t = job->data;
  g_autofree char        *event = g_uri_escape_string (t->event, NULL, FALSE);
  g_autofree char        *language = g_uri_escape_string (t->language, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/notification-templates/%s/%s", event, language);
  g_autoptr (JsonNode) body = sk_notification_template_to_json (t);
  g_autoptr (JsonNode) answer = NULL;

  if (at_hq (self, "PUT", path, body, NULL, FALSE, cancellable, &answer, error))
    return answer != NULL ? sk_notification_template_from_json (answer, error) : NULL;
  if (!sk_database_save_notification_template (db, t, error))
    return NULL;
  return template_copy (t);
}

void
sk_repository_save_notification_template_async (SkRepository                 *self,
                                                const SkNotificationTemplate *t,
                                                GCancellable                 *cancellable,
                                                GAsyncReadyCallback           callback,
                                                gpointer                      user_data)
{
  g_return_if_fail (SK_IS_REPOSITORY (self));
  g_return_if_fail (t != NULL);
  run (self, sk_repository_save_notification_template_async, save_template_job, template_copy (t),
       (GDestroyNotify)sk_notification_template_free, (GDestroyNotify)sk_notification_template_free,
       cancellable, callback, user_data);
}

SkNotificationTemplate *
sk_repository_save_notification_template_finish (SkRepository *self,
                                                 GAsyncResult *result,
                                                 GError      **error)
{
  return finish (self, result, sk_repository_save_notification_template_async, error);
}
