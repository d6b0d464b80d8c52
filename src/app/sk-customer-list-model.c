/* sk-customer-list-model.c: a lazy list of any number of customers. The
 * count and pages come from SQLite on a worker thread with its own
 * connection (from the repository, opened again when the file is
 * replaced); only a bounded number of pages stay cached. The items are
 * rows (SkCustomerRow) that keep their identity while their position is in
 * the list: a search or a page that arrives changes what the rows hold, and
 * the list announces only a change in the count, so GTK keeps its row
 * widgets (GTK 4.8 cannot update a row in place: any item announced as
 * changed costs a new row widget with all its cells).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-customer-list-model.h"

/* The list holds rows of at most MAX_HELD_PAGES pages (see below); a few
 * more keep scrolling back cheap. A row keeps its customer when its page
 * leaves the cache, so this bounds memory, not what is shown. */
#define MAX_CACHED_PAGES 12
/* The worker connection's page cache, in KiB (SQLite's default is 2000). */
#define WORKER_CACHE_KIB 256
/* A page still worth reading when it is among the newest requests: the
 * rows on screen span at most a few pages. */
#define WANTED_PAGES 6
/* A search reads at most this many pages besides the first for the rows
 * the list holds: GTK 4.8 keeps about 200 rows around the visible ones. */
#define MAX_HELD_PAGES 8

struct _SkCustomerListModel
{
  GObject parent_instance;

  SkRepository *repository;
  char         *query;
  guint         n_items;
  /* position -> SkCustomerRow handed out and still alive (not a ref: a row
   * leaves the table when it is finalized or its position is removed). */
  GHashTable   *rows;
  GHashTable   *pages;      /* page index -> GPtrArray of SkCustomer */
  GHashTable   *pending;    /* page index -> TRUE while being read */
  GQueue        recent;     /* page indexes, most recently used first */
  guint         generation; /* bumps on every query; late results are dropped */
  gboolean      loading;
  gboolean      truncated;
  gint64        everyone; /* the count of the empty search, -1 unknown */
  gint64        search_started;
  gint64        search_usec;
  GCancellable *cancellable;

  /* The worker's connection, used by one task at a time. */
  GMutex      worker_lock;
  SkDatabase *worker_db;
  guint       worker_generation;
  /* Pages asked for, newest first (guarded by request_lock): a page that
   * scrolling left behind is not read at all. */
  GMutex request_lock;
  GQueue requests;
};

struct _SkCustomerRow
{
  GObject parent_instance;

  SkCustomerListModel *model; /* not a ref; NULL once detached */
  guint                position;
  SkCustomer          *customer; /* NULL while its page is read */
};

G_DEFINE_FINAL_TYPE (SkCustomerRow, sk_customer_row, G_TYPE_OBJECT)

enum
{
  ROW_PROP_0,
  ROW_PROP_CUSTOMER,
  ROW_N_PROPS
};

static GParamSpec *row_properties[ROW_N_PROPS];

SkCustomer *
sk_customer_row_get_customer (SkCustomerRow *self)
{
  g_return_val_if_fail (SK_IS_CUSTOMER_ROW (self), NULL);
  return self->customer;
}

/* Whether @a and @b show the same: one customer, neither edited nor moved
 * by a sale, a return or a bonus since (those keep the version). The same
 * is no change: the row's cells stay as they are. */
static gboolean
same_row (SkCustomer *a, SkCustomer *b)
{
  static const char *const figures[]
      = { "version", "visits", "total_spent", "bonus_balance", "last_purchase_at" };

  if (a == NULL || b == NULL || g_strcmp0 (sk_record_get_id (a), sk_record_get_id (b)) != 0
      || g_strcmp0 (sk_record_get_string (a, "segment"), sk_record_get_string (b, "segment")) != 0)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    if (sk_record_get_int64 (a, figures[i]) != sk_record_get_int64 (b, figures[i]))
      return FALSE;
  return TRUE;
}

static void
row_set_customer (SkCustomerRow *self, SkCustomer *customer)
{
  if (self->customer == customer || same_row (self->customer, customer))
    return;
  g_set_object (&self->customer, customer);
  g_object_notify_by_pspec (G_OBJECT (self), row_properties[ROW_PROP_CUSTOMER]);
}

static void
row_detach (gpointer data)
{
  SK_CUSTOMER_ROW (data)->model = NULL;
}

static void
sk_customer_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkCustomerRow *self = SK_CUSTOMER_ROW (object);

  switch (prop_id)
    {
    case ROW_PROP_CUSTOMER:
      g_value_set_object (value, self->customer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_customer_row_finalize (GObject *object)
{
  SkCustomerRow *self = SK_CUSTOMER_ROW (object);

  if (self->model != NULL)
    g_hash_table_steal (self->model->rows, GUINT_TO_POINTER (self->position));
  g_clear_object (&self->customer);
  G_OBJECT_CLASS (sk_customer_row_parent_class)->finalize (object);
}

static void
sk_customer_row_class_init (SkCustomerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sk_customer_row_finalize;
  object_class->get_property = sk_customer_row_get_property;

  row_properties[ROW_PROP_CUSTOMER]
      = g_param_spec_object ("customer", NULL, NULL, SK_TYPE_CUSTOMER,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, ROW_N_PROPS, row_properties);
}

static void
sk_customer_row_init (SkCustomerRow *self)
{
}

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SkCustomerListModel,
                               sk_customer_list_model,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum
{
  PROP_0,
  PROP_LOADING,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  SkCustomerListModel *self; /* a strong ref */
  char                *query;
  guint                generation;
  guint                page;
  gint64               n_total;
  /* results */
  gint64     count;
  GPtrArray *rows;
  /* A search also reads the other pages the list holds rows of, so that
   * they show the new result at once: one update of the list, not one
   * with placeholders and one more per page. */
  GArray    *extra_pages; /* guint, or NULL */
  GPtrArray *extra_rows;  /* a GPtrArray of rows (or NULL) per extra page */
  gint64     worker_usec; /* when the worker finished */
  gint64     done_usec;
} Job;

static void
rows_free (gpointer rows)
{
  if (rows != NULL)
    g_ptr_array_unref (rows);
}

static void
job_free (Job *job)
{
  g_object_unref (job->self);
  g_free (job->query);
  g_clear_pointer (&job->rows, g_ptr_array_unref);
  g_clear_pointer (&job->extra_pages, g_array_unref);
  g_clear_pointer (&job->extra_rows, g_ptr_array_unref);
  g_free (job);
}

static SkDatabase *
worker_db (SkCustomerListModel *self, GError **error)
{
  guint generation = sk_repository_get_generation (self->repository);

  if (self->worker_db != NULL && self->worker_generation != generation)
    g_clear_object (&self->worker_db);
  if (self->worker_db == NULL)
    {
      /* A page of rows reads a few dozen B-tree pages through an index; a
       * full default cache would mostly hold the pages of counts and of
       * searches long done. The file's pages stay in the OS cache anyway. */
      self->worker_db = sk_repository_open_database (self->repository, WORKER_CACHE_KIB, error);
      self->worker_generation = generation;
    }
  return self->worker_db;
}

static gboolean
page_still_wanted (SkCustomerListModel *self, guint page)
{
  gboolean wanted = FALSE;
  guint    i = 0;

  g_mutex_lock (&self->request_lock);
  for (GList *l = self->requests.head; l != NULL && i < WANTED_PAGES; l = l->next, i++)
    if (GPOINTER_TO_UINT (l->data) == page)
      wanted = TRUE;
  g_mutex_unlock (&self->request_lock);
  return wanted;
}

static void
search_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job                 *job = task_data;
  SkCustomerListModel *self = job->self;
  g_autoptr (GError) error = NULL;
  SkDatabase *db;

  g_mutex_lock (&self->worker_lock);
  if (g_cancellable_is_cancelled (cancellable)
      || (job->n_total >= 0 && job->page > 0 && !page_still_wanted (self, job->page)))
    {
      g_mutex_unlock (&self->worker_lock);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return;
    }
  db = worker_db (self, &error);
  if (db != NULL && job->n_total < 0)
    job->count = sk_database_count_search_customers (
        db, job->query, *job->query ? SK_CUSTOMER_SEARCH_MAX + 1 : 0, &error);
  else
    job->count = job->n_total;
  if (db != NULL && job->count >= 0)
    job->rows = sk_database_search_customers_at (db, job->query,
                                                 (gint64)job->page * SK_CUSTOMER_LIST_PAGE,
                                                 SK_CUSTOMER_LIST_PAGE, job->count, &error);
  if (job->rows != NULL && job->extra_pages != NULL)
    {
      gboolean truncated = *job->query != '\0' && job->count > SK_CUSTOMER_SEARCH_MAX;
      gint64   n = truncated ? SK_CUSTOMER_SEARCH_MAX : job->count;

      job->extra_rows = g_ptr_array_new_with_free_func (rows_free);
      for (guint i = 0; i < job->extra_pages->len && !g_cancellable_is_cancelled (cancellable); i++)
        {
          gint64 offset
              = (gint64)g_array_index (job->extra_pages, guint, i) * SK_CUSTOMER_LIST_PAGE;
          GPtrArray *rows = NULL;

          /* A truncated search cannot be read from its far end (0: never). */
          if (offset < n)
            rows = sk_database_search_customers_at (db, job->query, offset, SK_CUSTOMER_LIST_PAGE,
                                                    truncated ? 0 : job->count, NULL);
          g_ptr_array_add (job->extra_rows, rows);
        }
    }
  g_mutex_unlock (&self->worker_lock);
  job->worker_usec = g_get_monotonic_time ();
  if (job->rows == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
touch_page (SkCustomerListModel *self, guint page)
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

static void
start_job (SkCustomerListModel *self,
           guint                page,
           gint64               n_total,
           GArray              *extra_pages,
           GAsyncReadyCallback  callback)
{
  g_autoptr (GTask) task = g_task_new (self, self->cancellable, callback, NULL);
  Job *job = g_new0 (Job, 1);

  job->self = g_object_ref (self);
  job->query = g_strdup (self->query);
  job->generation = self->generation;
  job->page = page;
  job->n_total = n_total;
  job->extra_pages = extra_pages;
  g_task_set_task_data (task, job, (GDestroyNotify)job_free);
  g_task_run_in_thread (task, search_thread);
}

static void page_done (GObject *source, GAsyncResult *result, gpointer user_data);

/* Reads @page unless it is read or being read already. */
static void
request_page (SkCustomerListModel *self, guint page)
{
  if (g_hash_table_contains (self->pages, GUINT_TO_POINTER (page))
      || g_hash_table_contains (self->pending, GUINT_TO_POINTER (page)))
    return;
  g_mutex_lock (&self->request_lock);
  g_queue_remove (&self->requests, GUINT_TO_POINTER (page));
  g_queue_push_head (&self->requests, GUINT_TO_POINTER (page));
  while (g_queue_get_length (&self->requests) > WANTED_PAGES * 4)
    g_queue_pop_tail (&self->requests);
  g_mutex_unlock (&self->request_lock);
  g_hash_table_add (self->pending, GUINT_TO_POINTER (page));
  /* A truncated search cannot be read from its far end (0: never). */
  start_job (self, page, self->truncated ? 0 : self->n_items, NULL, page_done);
}

/* The customer at @position if its page is read, else NULL. */
static SkCustomer *
lookup_customer (SkCustomerListModel *self, guint position)
{
  GPtrArray *rows
      = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (position / SK_CUSTOMER_LIST_PAGE));

  if (rows == NULL || position % SK_CUSTOMER_LIST_PAGE >= rows->len)
    return NULL;
  return g_ptr_array_index (rows, position % SK_CUSTOMER_LIST_PAGE);
}

static int
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;

  return (x > y) - (x < y);
}

/* A new result is in (self->pages holds its first page): the rows the list
 * holds show it, or a placeholder until their page is read, and the list
 * hears only of the change in the count from @old_n. Never removed and
 * added rows in one announcement: GTK 4.8's list then looks for each
 * removed row's widget among all the added items (get_item on every one of
 * them: 1M of them when the search is cleared), and so does
 * GtkSingleSelection for a selected row. Neither does the list look empty
 * on its way from some rows to others. */
static void
show_new_rows (SkCustomerListModel *self, guint old_n)
{
  guint new_n = self->n_items;
  g_autoptr (GArray) pages = g_array_new (FALSE, FALSE, sizeof (guint));
  GHashTableIter iter;
  gpointer       key, value;
  gint64         t0 = g_get_monotonic_time (), t1;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      SkCustomerRow *row = value;
      SkCustomer    *customer;

      if (row->position >= new_n)
        {
          /* Gone from the list; whoever still holds it keeps what it showed. */
          row->model = NULL;
          g_hash_table_iter_steal (&iter);
          continue;
        }
      customer = lookup_customer (self, row->position);
      row_set_customer (row, customer);
      if (customer == NULL)
        {
          guint page = row->position / SK_CUSTOMER_LIST_PAGE;

          g_array_append_val (pages, page);
        }
    }
  t1 = g_get_monotonic_time ();
  if (new_n < old_n)
    g_list_model_items_changed (G_LIST_MODEL (self), new_n, old_n - new_n, 0);
  else if (new_n > old_n)
    g_list_model_items_changed (G_LIST_MODEL (self), old_n, 0, new_n - old_n);
  /* The rows the list holds are about a screen each side of the visible
   * ones: in the order of the list, those in the middle asked for last. */
  g_array_sort (pages, compare_uint);
  for (guint i = 0; i < pages->len; i++)
    if (i == 0 || g_array_index (pages, guint, i) != g_array_index (pages, guint, i - 1))
      request_page (self, g_array_index (pages, guint, i));
  g_debug ("%u rows updated in %.1f ms, count %u -> %u in %.1f ms", g_hash_table_size (self->rows),
           (t1 - t0) / 1000.0, old_n, new_n, (g_get_monotonic_time () - t1) / 1000.0);
}

static void
search_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCustomerListModel *self = SK_CUSTOMER_LIST_MODEL (source);
  Job                 *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  guint old_n = self->n_items;

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
  clear_cache (self);
  self->truncated = *job->query != '\0' && job->count > SK_CUSTOMER_SEARCH_MAX;
  if (*job->query == '\0')
    self->everyone = job->count;
  self->n_items = (guint)MIN (job->count, self->truncated ? SK_CUSTOMER_SEARCH_MAX : G_MAXUINT);
  g_hash_table_insert (self->pages, GUINT_TO_POINTER (0), g_steal_pointer (&job->rows));
  touch_page (self, 0);
  for (guint i = 0; job->extra_rows != NULL && i < job->extra_rows->len; i++)
    {
      guint      page = g_array_index (job->extra_pages, guint, i);
      GPtrArray *rows = g_ptr_array_index (job->extra_rows, i);

      if (rows == NULL || (gint64)page * SK_CUSTOMER_LIST_PAGE >= self->n_items)
        continue;
      g_hash_table_insert (self->pages, GUINT_TO_POINTER (page), g_ptr_array_ref (rows));
      touch_page (self, page);
    }
  self->loading = FALSE;
  job->done_usec = g_get_monotonic_time ();
  show_new_rows (self, old_n);
  self->search_usec = g_get_monotonic_time () - self->search_started;
  g_debug ("search “%s”: worker %.1f ms, to main loop %.1f ms, list update %.1f ms", job->query,
           (job->worker_usec - self->search_started) / 1000.0,
           (job->done_usec - job->worker_usec) / 1000.0,
           (g_get_monotonic_time () - job->done_usec) / 1000.0);
  if (old_n != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* Does the list hold a row of @page (is it on screen or near it)? */
static gboolean
page_has_rows (SkCustomerListModel *self, guint page)
{
  guint first = page * SK_CUSTOMER_LIST_PAGE;

  for (guint i = first; i < first + SK_CUSTOMER_LIST_PAGE && i < self->n_items; i++)
    if (g_hash_table_contains (self->rows, GUINT_TO_POINTER (i)))
      return TRUE;
  return FALSE;
}

static void
page_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCustomerListModel *self = SK_CUSTOMER_LIST_MODEL (source);
  Job                 *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  guint start, n;

  if (!g_task_propagate_boolean (G_TASK (result), &error) || job->generation != self->generation)
    {
      if (job->generation == self->generation)
        {
          g_hash_table_remove (self->pending, GUINT_TO_POINTER (job->page));
          /* Skipped as left behind: if those rows are on screen after all,
           * they are read now. */
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
              && job->page * SK_CUSTOMER_LIST_PAGE < self->n_items
              && page_still_wanted (self, job->page) && page_has_rows (self, job->page))
            request_page (self, job->page);
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
  /* The rows change what they show; the list's items stay. */
  for (guint i = start; i < start + n; i++)
    {
      SkCustomerRow *row = g_hash_table_lookup (self->rows, GUINT_TO_POINTER (i));

      if (row != NULL)
        row_set_customer (row, lookup_customer (self, i));
    }
}

/* The pages other than the first that the list holds rows of (about a
 * screen each side of the visible ones), in order; NULL if none. */
static GArray *
held_pages (SkCustomerListModel *self)
{
  g_autoptr (GArray) pages = g_array_new (FALSE, FALSE, sizeof (guint));
  GHashTableIter iter;
  gpointer       key;
  guint          n = 0;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint page = GPOINTER_TO_UINT (key) / SK_CUSTOMER_LIST_PAGE;

      if (page > 0)
        g_array_append_val (pages, page);
    }
  g_array_sort (pages, compare_uint);
  for (guint i = 0; i < pages->len && n < MAX_HELD_PAGES; i++)
    if (n == 0 || g_array_index (pages, guint, i) != g_array_index (pages, guint, n - 1))
      g_array_index (pages, guint, n++) = g_array_index (pages, guint, i);
  g_array_set_size (pages, n);
  return n > 0 ? g_steal_pointer (&pages) : NULL;
}

void
sk_customer_list_model_set_query (SkCustomerListModel *self, const char *query)
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
  start_job (self, 0, *self->query == '\0' ? self->everyone : -1, held_pages (self), search_done);
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
sk_customer_list_model_is_loaded (SkCustomerListModel *self, guint position)
{
  GPtrArray *rows
      = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (position / SK_CUSTOMER_LIST_PAGE));

  return rows != NULL && position % SK_CUSTOMER_LIST_PAGE < rows->len;
}

static GType
get_item_type (GListModel *model)
{
  return SK_TYPE_CUSTOMER_ROW;
}

static guint
get_n_items (GListModel *model)
{
  return SK_CUSTOMER_LIST_MODEL (model)->n_items;
}

static gpointer
get_item (GListModel *model, guint position)
{
  SkCustomerListModel *self = SK_CUSTOMER_LIST_MODEL (model);
  guint                page = position / SK_CUSTOMER_LIST_PAGE;
  SkCustomerRow       *row;

  if (position >= self->n_items)
    return NULL;
  row = g_hash_table_lookup (self->rows, GUINT_TO_POINTER (position));
  if (row == NULL)
    {
      row = g_object_new (SK_TYPE_CUSTOMER_ROW, NULL);
      row->model = self;
      row->position = position;
      row->customer = lookup_customer (self, position);
      if (row->customer != NULL)
        g_object_ref (row->customer);
      g_hash_table_insert (self->rows, GUINT_TO_POINTER (position), row);
    }
  else
    g_object_ref (row);
  if (g_hash_table_contains (self->pages, GUINT_TO_POINTER (page)))
    touch_page (self, page);
  else
    request_page (self, page); /* a placeholder until the page is read */
  return row;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

SkCustomerListModel *
sk_customer_list_model_new (SkRepository *repository)
{
  SkCustomerListModel *self;

  g_return_val_if_fail (SK_IS_REPOSITORY (repository), NULL);
  self = g_object_new (SK_TYPE_CUSTOMER_LIST_MODEL, NULL);
  self->repository = g_object_ref (repository);
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
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_pointer (&self->pages, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_queue_clear (&self->recent);
  g_clear_object (&self->worker_db);
  g_mutex_clear (&self->worker_lock);
  g_queue_clear (&self->requests);
  g_mutex_clear (&self->request_lock);
  g_clear_object (&self->repository);
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

  properties[PROP_LOADING]
      = g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS]
      = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sk_customer_list_model_init (SkCustomerListModel *self)
{
  self->query = g_strdup ("");
  self->everyone = -1;
  self->rows = g_hash_table_new_full (NULL, NULL, NULL, row_detach);
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)g_ptr_array_unref);
  self->pending = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->recent);
  g_mutex_init (&self->worker_lock);
  g_mutex_init (&self->request_lock);
  g_queue_init (&self->requests);
  self->cancellable = g_cancellable_new ();
}
