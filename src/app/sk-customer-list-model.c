/* sk-customer-list-model.c: a lazy list of any number of customers. The
 * count and pages come from SQLite on a worker thread with its own
 * connection; rows not read yet are placeholders, replaced (items-changed)
 * when their page arrives; only a bounded number of pages stay cached.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-customer-list-model.h"
#include "sk-model-private.h"

#define MAX_CACHED_PAGES 40
/* A page still worth reading when it is among the newest requests: the
 * rows on screen span at most a few pages. */
#define WANTED_PAGES 6

struct _SkCustomerListModel
{
  GObject       parent_instance;

  char         *db_path;
  char         *query;
  guint         n_items;
  /* While a search's rows are announced: row 0 is a placeholder and the
   * real rows follow it (see announce_new_rows()). */
  gboolean      has_ghost;
  GHashTable   *pages;         /* page index -> GPtrArray of SkCustomer */
  GHashTable   *pending;       /* page index -> TRUE while being read */
  GQueue        recent;        /* page indexes, most recently used first */
  guint         generation;    /* bumps on every query; late results are dropped */
  gboolean      loading;
  gboolean      truncated;
  gint64        everyone;      /* the count of the empty search, -1 unknown */
  gint64        search_started;
  gint64        search_usec;
  GCancellable *cancellable;

  /* The worker's connection, used by one task at a time. */
  GMutex        worker_lock;
  SkDatabase   *worker_db;
  /* Pages asked for, newest first (guarded by request_lock): a page that
   * scrolling left behind is not read at all. */
  GMutex        request_lock;
  GQueue        requests;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SkCustomerListModel, sk_customer_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  SkCustomerListModel *self;  /* a strong ref */
  char                *query;
  guint                generation;
  guint                page;
  gint64               n_total;
  /* results */
  gint64               count;
  GPtrArray           *rows;
  gint64               worker_usec;   /* when the worker finished */
  gint64               done_usec;
} Job;

static void
job_free (Job *job)
{
  g_object_unref (job->self);
  g_free (job->query);
  g_clear_pointer (&job->rows, g_ptr_array_unref);
  g_free (job);
}

static SkDatabase *
worker_db (SkCustomerListModel *self,
           GError             **error)
{
  if (self->worker_db == NULL)
    self->worker_db = sk_database_open (self->db_path, error);
  return self->worker_db;
}

static gboolean
page_still_wanted (SkCustomerListModel *self,
                   guint                page)
{
  gboolean wanted = FALSE;
  guint i = 0;

  g_mutex_lock (&self->request_lock);
  for (GList *l = self->requests.head; l != NULL && i < WANTED_PAGES; l = l->next, i++)
    if (GPOINTER_TO_UINT (l->data) == page)
      wanted = TRUE;
  g_mutex_unlock (&self->request_lock);
  return wanted;
}

static void
search_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Job *job = task_data;
  SkCustomerListModel *self = job->self;
  g_autoptr(GError) error = NULL;
  SkDatabase *db;

  g_mutex_lock (&self->worker_lock);
  if (g_cancellable_is_cancelled (cancellable) ||
      (job->n_total >= 0 && job->page > 0 && !page_still_wanted (self, job->page)))
    {
      g_mutex_unlock (&self->worker_lock);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return;
    }
  db = worker_db (self, &error);
  if (db != NULL && job->n_total < 0)
    job->count = sk_database_count_search_customers (db, job->query,
                                                     *job->query ? SK_CUSTOMER_SEARCH_MAX + 1 : 0, &error);
  else
    job->count = job->n_total;
  if (db != NULL && job->count >= 0)
    job->rows = sk_database_search_customers_at (db, job->query,
                                                 (gint64) job->page * SK_CUSTOMER_LIST_PAGE,
                                                 SK_CUSTOMER_LIST_PAGE, job->count, &error);
  g_mutex_unlock (&self->worker_lock);
  job->worker_usec = g_get_monotonic_time ();
  if (job->rows == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
touch_page (SkCustomerListModel *self,
            guint                page)
{
  g_queue_remove (&self->recent, GUINT_TO_POINTER (page));
  g_queue_push_head (&self->recent, GUINT_TO_POINTER (page));
  while (g_queue_get_length (&self->recent) > MAX_CACHED_PAGES)
    {
      guint old = GPOINTER_TO_UINT (g_queue_pop_tail (&self->recent));

      g_hash_table_remove (self->pages, GUINT_TO_POINTER (old));
    }
}

static void
clear_cache (SkCustomerListModel *self)
{
  g_hash_table_remove_all (self->pages);
  g_hash_table_remove_all (self->pending);
  g_queue_clear (&self->recent);
}

/* The rows from @common on changed from @old_n to self->n_items. Never in
 * one announcement: given removed and added rows together, GTK 4.8's list
 * looks for each removed row's widget among all the added items (get_item
 * on every one of them, a placeholder each: 1M of them when the search is
 * cleared), and so does GtkSingleSelection for a selected row. Removed
 * first, then added, nothing is looked for. Neither may the list be empty
 * in between (GTK 4.8 then warns when it scrolls): a placeholder row (the
 * ghost) stands in until the new rows are in. */
static void
announce_new_rows (SkCustomerListModel *self,
                   guint                common,
                   guint                old_n)
{
  guint new_n = self->n_items;

  if (common == 0 && old_n > 0 && new_n > 0)
    {
      self->has_ghost = TRUE;
      self->n_items = 1;
      if (old_n > 1)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n - 1, 0);
      self->n_items = new_n + 1;
      g_list_model_items_changed (G_LIST_MODEL (self), 1, 0, new_n);
      self->has_ghost = FALSE;
      self->n_items = new_n;
      g_list_model_items_changed (G_LIST_MODEL (self), 0, 1, 0);
      return;
    }
  if (old_n != common)
    {
      self->n_items = common;
      g_list_model_items_changed (G_LIST_MODEL (self), common, old_n - common, 0);
      self->n_items = new_n;
    }
  if (new_n != common)
    g_list_model_items_changed (G_LIST_MODEL (self), common, 0, new_n - common);
}

static void
search_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  SkCustomerListModel *self = SK_CUSTOMER_LIST_MODEL (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  guint old_n = self->n_items;
  guint common;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (job->generation == self->generation)
        {
          self->loading = FALSE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning ("Customer search failed: %s", error->message);
        }
      return;
    }
  if (job->generation != self->generation)
    return;
  /* Typing narrows the search, and the first rows often stay the same:
   * keep those objects and announce only what changed after them, so the
   * list keeps their row widgets instead of building them again. */
  {
    GPtrArray *old_rows = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (0));

    common = 0;
    while (old_rows != NULL && common < old_rows->len && common < job->rows->len &&
           g_strcmp0 (((SkCustomer *) g_ptr_array_index (old_rows, common))->id,
                      ((SkCustomer *) g_ptr_array_index (job->rows, common))->id) == 0 &&
           ((SkCustomer *) g_ptr_array_index (old_rows, common))->version ==
           ((SkCustomer *) g_ptr_array_index (job->rows, common))->version)
      {
        g_object_unref (job->rows->pdata[common]);
        job->rows->pdata[common] = g_object_ref (g_ptr_array_index (old_rows, common));
        common++;
      }
  }
  clear_cache (self);
  self->truncated = *job->query != '\0' && job->count > SK_CUSTOMER_SEARCH_MAX;
  if (*job->query == '\0')
    self->everyone = job->count;
  self->n_items = (guint) MIN (job->count, self->truncated ? SK_CUSTOMER_SEARCH_MAX : G_MAXUINT);
  g_hash_table_insert (self->pages, GUINT_TO_POINTER (0), g_steal_pointer (&job->rows));
  touch_page (self, 0);
  self->loading = FALSE;
  job->done_usec = g_get_monotonic_time ();
  common = MIN (common, MIN (old_n, self->n_items));
  announce_new_rows (self, common, old_n);
  self->search_usec = g_get_monotonic_time () - self->search_started;
  g_debug ("search “%s”: worker %.1f ms, to main loop %.1f ms, list update %.1f ms", job->query,
           (job->worker_usec - self->search_started) / 1000.0, (job->done_usec - job->worker_usec) / 1000.0,
           (g_get_monotonic_time () - job->done_usec) / 1000.0);
  if (old_n != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
page_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  SkCustomerListModel *self = SK_CUSTOMER_LIST_MODEL (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  guint start, n;

  if (!g_task_propagate_boolean (G_TASK (result), &error) || job->generation != self->generation)
    {
      if (job->generation == self->generation)
        {
          guint first = job->page * SK_CUSTOMER_LIST_PAGE;

          g_hash_table_remove (self->pending, GUINT_TO_POINTER (job->page));
          /* Skipped as left behind: if those rows are on screen after all,
           * announcing them makes the list ask again. */
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && first < self->n_items &&
              page_still_wanted (self, job->page))
            {
              guint count = MIN (SK_CUSTOMER_LIST_PAGE, self->n_items - first);

              g_list_model_items_changed (G_LIST_MODEL (self), first, count, count);
            }
        }
      return;
    }
  g_hash_table_remove (self->pending, GUINT_TO_POINTER (job->page));
  start = job->page * SK_CUSTOMER_LIST_PAGE;
  if (start >= self->n_items)
    return;
  n = MIN (SK_CUSTOMER_LIST_PAGE, self->n_items - start);
  g_hash_table_insert (self->pages, GUINT_TO_POINTER (job->page), g_steal_pointer (&job->rows));
  touch_page (self, job->page);
  g_list_model_items_changed (G_LIST_MODEL (self), start, n, n);
}

static void
start_job (SkCustomerListModel *self,
           guint                page,
           gint64               n_total,
           GAsyncReadyCallback  callback)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, NULL);
  Job *job = g_new0 (Job, 1);

  job->self = g_object_ref (self);
  job->query = g_strdup (self->query);
  job->generation = self->generation;
  job->page = page;
  job->n_total = n_total;
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, search_thread);
}

void
sk_customer_list_model_set_query (SkCustomerListModel *self,
                                  const char          *query)
{
  g_return_if_fail (SK_IS_CUSTOMER_LIST_MODEL (self));

  g_free (self->query);
  self->query = g_strdup (query ? query : "");
  self->generation++;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->search_started = g_get_monotonic_time ();
  if (!self->loading)
    {
      self->loading = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
    }
  /* Everyone's count is known from the last time; data changes refresh it. */
  start_job (self, 0, *self->query == '\0' ? self->everyone : -1, search_done);
}

void
sk_customer_list_model_refresh (SkCustomerListModel *self)
{
  g_autofree char *query = g_strdup (self->query);

  g_return_if_fail (SK_IS_CUSTOMER_LIST_MODEL (self));
  self->everyone = -1;
  sk_customer_list_model_set_query (self, query);
}

gboolean
sk_customer_list_model_get_truncated (SkCustomerListModel *self)
{
  return self->truncated;
}

const char *
sk_customer_list_model_get_query (SkCustomerListModel *self)
{
  return self->query;
}

gboolean
sk_customer_list_model_get_loading (SkCustomerListModel *self)
{
  return self->loading;
}

gint64
sk_customer_list_model_get_search_usec (SkCustomerListModel *self)
{
  return self->search_usec;
}

guint
sk_customer_list_model_get_n_cached_pages (SkCustomerListModel *self)
{
  return g_hash_table_size (self->pages);
}

gboolean
sk_customer_list_model_is_loaded (SkCustomerListModel *self,
                                  guint                position)
{
  GPtrArray *rows = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (position / SK_CUSTOMER_LIST_PAGE));

  return rows != NULL && position % SK_CUSTOMER_LIST_PAGE < rows->len;
}

static GType
get_item_type (GListModel *model)
{
  return SK_TYPE_CUSTOMER;
}

static guint
get_n_items (GListModel *model)
{
  return SK_CUSTOMER_LIST_MODEL (model)->n_items;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  SkCustomerListModel *self = SK_CUSTOMER_LIST_MODEL (model);
  guint page;
  GPtrArray *rows;

  if (position >= self->n_items)
    return NULL;
  if (self->has_ghost)
    {
      if (position == 0)
        return sk_customer_new ();
      position--;
    }
  page = position / SK_CUSTOMER_LIST_PAGE;
  rows = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page));
  if (rows != NULL)
    {
      touch_page (self, page);
      if (position % SK_CUSTOMER_LIST_PAGE < rows->len)
        return g_object_ref (g_ptr_array_index (rows, position % SK_CUSTOMER_LIST_PAGE));
    }
  else if (!g_hash_table_contains (self->pending, GUINT_TO_POINTER (page)))
    {
      g_mutex_lock (&self->request_lock);
      g_queue_remove (&self->requests, GUINT_TO_POINTER (page));
      g_queue_push_head (&self->requests, GUINT_TO_POINTER (page));
      while (g_queue_get_length (&self->requests) > WANTED_PAGES * 4)
        g_queue_pop_tail (&self->requests);
      g_mutex_unlock (&self->request_lock);
      g_hash_table_add (self->pending, GUINT_TO_POINTER (page));
      /* A truncated search cannot be read from its far end (0: never). */
      start_job (self, page, self->truncated ? 0 : self->n_items - (self->has_ghost ? 1 : 0), page_done);
    }
  /* A placeholder until the page is read. */
  return sk_customer_new ();
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

SkCustomerListModel *
sk_customer_list_model_new (const char *db_path)
{
  SkCustomerListModel *self = g_object_new (SK_TYPE_CUSTOMER_LIST_MODEL, NULL);

  self->db_path = g_strdup (db_path);
  return self;
}

static void
sk_customer_list_model_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  SkCustomerListModel *self = SK_CUSTOMER_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_customer_list_model_dispose (GObject *object)
{
  SkCustomerListModel *self = SK_CUSTOMER_LIST_MODEL (object);

  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (sk_customer_list_model_parent_class)->dispose (object);
}

static void
sk_customer_list_model_finalize (GObject *object)
{
  SkCustomerListModel *self = SK_CUSTOMER_LIST_MODEL (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->pages, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_queue_clear (&self->recent);
  g_clear_object (&self->worker_db);
  g_mutex_clear (&self->worker_lock);
  g_queue_clear (&self->requests);
  g_mutex_clear (&self->request_lock);
  g_free (self->db_path);
  g_free (self->query);
  G_OBJECT_CLASS (sk_customer_list_model_parent_class)->finalize (object);
}

static void
sk_customer_list_model_class_init (SkCustomerListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_customer_list_model_dispose;
  object_class->finalize = sk_customer_list_model_finalize;
  object_class->get_property = sk_customer_list_model_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sk_customer_list_model_init (SkCustomerListModel *self)
{
  self->query = g_strdup ("");
  self->everyone = -1;
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  self->pending = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->recent);
  g_mutex_init (&self->worker_lock);
  g_mutex_init (&self->request_lock);
  g_queue_init (&self->requests);
  self->cancellable = g_cancellable_new ();
}
