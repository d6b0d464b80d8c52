/* sk-demo.c: a believable demo chain: stores, products, customers, rules,
 * campaigns and months of purchases, the same for the same seed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "sk-database-private.h"
#include "sk-analytics.h"
#include "sk-demo.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-sale.h"

#define DEFAULT_CUSTOMERS ((gint64)1000)
#define DEFAULT_PURCHASES ((gint64)10000)
#define DEFAULT_DAYS      ((gint64)180)
#define MAX_DAYS          ((gint64)3650)
#define API_CUSTOMERS_MAX ((gint64)20000)
#define PIPELINE_BATCH    500   /* purchases per outer transaction */
#define BULK_CHUNK        50000 /* purchases per transaction in the bulk path */
#define CUSTOMER_CHUNK    100000
#define MAX_LINES         7
#define MAX_LIMITED_RULES 4
#define DAY               G_TIME_SPAN_DAY

/* The catalogue */

typedef enum
{
  CAT_TOYS,
  CAT_CLOTHES,
  CAT_SHOES,
  CAT_FOOD,
  CAT_HYGIENE,
  CAT_BOOKS,
  CAT_SCHOOL,
  N_CATEGORIES
} Category;

/* As the chain's marketers spell them: the rule editor offers them as
 * they stand in the products. */
static const char *const category_names[N_CATEGORIES] = {
  "Игрушки", "Одежда", "Обувь", "Детское питание", "Гигиена", "Книги", "Школа",
};

/* How often a cart line is of each category, in an ordinary week. */
static const double category_weights[N_CATEGORIES] = { 20, 14, 6, 25, 20, 8, 7 };

typedef struct
{
  const char *sku;
  const char *name;
  Category    category;
  gint64      price; /* kopecks */
} DemoProduct;

static const DemoProduct products[] = {
  { "TOY-001", "Конструктор «Городская стройка», 420 деталей", CAT_TOYS, 349900 },
  { "TOY-002", "Кукла «Алёнка» с аксессуарами", CAT_TOYS, 189900 },
  { "TOY-003", "Мягкая игрушка «Медвежонок», 35 см", CAT_TOYS, 99900 },
  { "TOY-004", "Машинка на радиоуправлении «Вездеход»", CAT_TOYS, 249900 },
  { "TOY-005", "Настольная игра «Весёлая ферма»", CAT_TOYS, 129900 },
  { "TOY-006", "Пазл «Карта России», 500 деталей", CAT_TOYS, 69900 },
  { "TOY-007", "Набор для рисования «Юный художник»", CAT_TOYS, 89900 },
  { "TOY-008", "Железная дорога «Экспресс»", CAT_TOYS, 459900 },
  { "TOY-009", "Пирамидка деревянная", CAT_TOYS, 39900 },
  { "TOY-010", "Мяч резиновый, 22 см", CAT_TOYS, 29900 },
  { "TOY-011", "Кинетический песок, 1 кг", CAT_TOYS, 59900 },
  { "TOY-012", "Самокат трёхколёсный", CAT_TOYS, 399900 },
  { "CLO-001", "Футболка детская хлопковая", CAT_CLOTHES, 59900 },
  { "CLO-002", "Джинсы для мальчика", CAT_CLOTHES, 149900 },
  { "CLO-003", "Платье летнее для девочки", CAT_CLOTHES, 179900 },
  { "CLO-004", "Комбинезон зимний", CAT_CLOTHES, 699900 },
  { "CLO-005", "Шапка вязаная", CAT_CLOTHES, 79900 },
  { "CLO-006", "Пижама «Звёздочки»", CAT_CLOTHES, 119900 },
  { "CLO-007", "Куртка демисезонная", CAT_CLOTHES, 459900 },
  { "CLO-008", "Колготки, 2 пары", CAT_CLOTHES, 39900 },
  { "CLO-009", "Боди для новорождённых, 3 шт.", CAT_CLOTHES, 89900 },
  { "CLO-010", "Свитер с оленями", CAT_CLOTHES, 169900 },
  { "SHO-001", "Кроссовки детские", CAT_SHOES, 249900 },
  { "SHO-002", "Сандалии кожаные", CAT_SHOES, 189900 },
  { "SHO-003", "Валенки с галошами", CAT_SHOES, 279900 },
  { "SHO-004", "Сапоги резиновые", CAT_SHOES, 129900 },
  { "SHO-005", "Ботинки зимние мембранные", CAT_SHOES, 499900 },
  { "SHO-006", "Тапочки домашние", CAT_SHOES, 49900 },
  { "SHO-007", "Пинетки для малышей", CAT_SHOES, 69900 },
  { "FOO-001", "Смесь молочная, 800 г", CAT_FOOD, 119900 },
  { "FOO-002", "Пюре фруктовое «Яблоко», 90 г", CAT_FOOD, 6900 },
  { "FOO-003", "Каша гречневая безмолочная, 200 г", CAT_FOOD, 18900 },
  { "FOO-004", "Сок детский яблочный, 200 мл", CAT_FOOD, 4900 },
  { "FOO-005", "Печенье детское, 150 г", CAT_FOOD, 9900 },
  { "FOO-006", "Вода детская, 1,5 л", CAT_FOOD, 7900 },
  { "FOO-007", "Пюре мясное «Индейка», 80 г", CAT_FOOD, 11900 },
  { "FOO-008", "Творожок детский, 100 г", CAT_FOOD, 5900 },
  { "FOO-009", "Батончик фруктовый", CAT_FOOD, 4500 },
  { "HYG-001", "Подгузники, размер 4, 60 шт.", CAT_HYGIENE, 149900 },
  { "HYG-002", "Влажные салфетки, 72 шт.", CAT_HYGIENE, 19900 },
  { "HYG-003", "Шампунь детский «Без слёз», 250 мл", CAT_HYGIENE, 29900 },
  { "HYG-004", "Крем под подгузник, 100 мл", CAT_HYGIENE, 34900 },
  { "HYG-005", "Зубная паста детская", CAT_HYGIENE, 19900 },
  { "HYG-006", "Трусики-подгузники, размер 5, 42 шт.", CAT_HYGIENE, 139900 },
  { "HYG-007", "Мыло детское", CAT_HYGIENE, 8900 },
  { "HYG-008", "Зубная щётка детская", CAT_HYGIENE, 14900 },
  { "BOO-001", "Сказки Пушкина, иллюстрированное издание", CAT_BOOKS, 79900 },
  { "BOO-002", "Энциклопедия «Почему и зачем»", CAT_BOOKS, 119900 },
  { "BOO-003", "Книжка-картонка «Первые слова»", CAT_BOOKS, 34900 },
  { "BOO-004", "Раскраска с наклейками", CAT_BOOKS, 19900 },
  { "BOO-005", "Н. Носов. «Приключения Незнайки»", CAT_BOOKS, 59900 },
  { "BOO-006", "Азбука", CAT_BOOKS, 44900 },
  { "BOO-007", "Атлас животных", CAT_BOOKS, 99900 },
  { "SCH-001", "Рюкзак школьный ортопедический", CAT_SCHOOL, 399900 },
  { "SCH-002", "Тетради в клетку, 12 л., 10 шт.", CAT_SCHOOL, 14900 },
  { "SCH-003", "Пенал с наполнением", CAT_SCHOOL, 89900 },
  { "SCH-004", "Цветные карандаши, 24 цвета", CAT_SCHOOL, 34900 },
  { "SCH-005", "Дневник школьный", CAT_SCHOOL, 24900 },
  { "SCH-006", "Ручки шариковые синие, 4 шт.", CAT_SCHOOL, 9900 },
  { "SCH-007", "Альбом для рисования, 40 л.", CAT_SCHOOL, 19900 },
  { "SCH-008", "Школьный жилет", CAT_SCHOOL, 249900 },
};

/* The stores */

typedef struct
{
  const char *code;
  const char *name;
  const char *address;
  const char *timezone;
  int         utc_offset; /* hours; Russia keeps no summer time */
  gint64      bonus_rate;
  gint64      max_bonus_share;
  double      weight; /* share of the chain's customers and sales */
} DemoStore;

static const DemoStore stores[] = {
  { "MSK-01", "Мишутка — Тверская", "Москва, ул. Тверская, 15", "Europe/Moscow", 3, 100, 10000,
    30 },
  { "SPB-01", "Мишутка — Невский", "Санкт-Петербург, Невский пр., 48", "Europe/Moscow", 3, 100,
    10000, 24 },
  { "EKB-01", "Мишутка — Екатеринбург", "Екатеринбург, ул. Вайнера, 9", "Asia/Yekaterinburg", 5,
    100, 10000, 16 },
  { "NSK-01", "Мишутка — Новосибирск", "Новосибирск, Красный пр., 29", "Asia/Novosibirsk", 7, 100,
    10000, 14 },
  { "KZN-01", "Мишутка — Казань", "Казань, ул. Баумана, 44", "Europe/Moscow", 3, 100, 3000, 16 },
};

#define N_STORES G_N_ELEMENTS (stores)

/* Names: Russian and their Latin spelling for e-mail addresses */

typedef struct
{
  const char *ru;
  const char *lat;
} Name;

static const Name female_names[] = {
  { "Анна", "anna" },         { "Мария", "maria" },         { "Елена", "elena" },
  { "Ольга", "olga" },        { "Наталья", "natalya" },     { "Екатерина", "ekaterina" },
  { "Татьяна", "tatyana" },   { "Ирина", "irina" },         { "Светлана", "svetlana" },
  { "Юлия", "yulia" },        { "Анастасия", "anastasia" }, { "Дарья", "darya" },
  { "Ксения", "ksenia" },     { "Марина", "marina" },       { "Алина", "alina" },
  { "Виктория", "viktoria" }, { "Евгения", "evgenia" },     { "Полина", "polina" },
  { "Людмила", "lyudmila" },  { "Валерия", "valeria" },
};

static const Name male_names[] = {
  { "Александр", "alexander" }, { "Дмитрий", "dmitry" }, { "Сергей", "sergey" },
  { "Андрей", "andrey" },       { "Алексей", "alexey" }, { "Максим", "maxim" },
  { "Иван", "ivan" },           { "Михаил", "mikhail" }, { "Артём", "artem" },
  { "Николай", "nikolay" },     { "Евгений", "evgeny" }, { "Владимир", "vladimir" },
  { "Павел", "pavel" },         { "Роман", "roman" },    { "Илья", "ilya" },
  { "Денис", "denis" },
};

/* Patronymics: the father's name, for a son and for a daughter. */
static const char *const patronymics[][2] = {
  { "Александрович", "Александровна" },
  { "Дмитриевич", "Дмитриевна" },
  { "Сергеевич", "Сергеевна" },
  { "Андреевич", "Андреевна" },
  { "Алексеевич", "Алексеевна" },
  { "Максимович", "Максимовна" },
  { "Иванович", "Ивановна" },
  { "Михайлович", "Михайловна" },
  { "Николаевич", "Николаевна" },
  { "Владимирович", "Владимировна" },
  { "Павлович", "Павловна" },
  { "Романович", "Романовна" },
  { "Ильич", "Ильинична" },
  { "Денисович", "Денисовна" },
  { "Евгеньевич", "Евгеньевна" },
  { "Олегович", "Олеговна" },
};

/* Surnames in the male form; every one takes "а" for a woman. */
static const Name surnames[] = {
  { "Иванов", "ivanov" },     { "Смирнов", "smirnov" },    { "Кузнецов", "kuznetsov" },
  { "Попов", "popov" },       { "Васильев", "vasilyev" },  { "Петров", "petrov" },
  { "Соколов", "sokolov" },   { "Михайлов", "mikhailov" }, { "Новиков", "novikov" },
  { "Фёдоров", "fedorov" },   { "Морозов", "morozov" },    { "Волков", "volkov" },
  { "Алексеев", "alekseev" }, { "Лебедев", "lebedev" },    { "Семёнов", "semenov" },
  { "Егоров", "egorov" },     { "Павлов", "pavlov" },      { "Козлов", "kozlov" },
  { "Степанов", "stepanov" }, { "Николаев", "nikolaev" },  { "Орлов", "orlov" },
  { "Андреев", "andreev" },   { "Макаров", "makarov" },    { "Никитин", "nikitin" },
  { "Захаров", "zakharov" },  { "Зайцев", "zaytsev" },     { "Соловьёв", "solovyov" },
  { "Борисов", "borisov" },   { "Яковлев", "yakovlev" },   { "Григорьев", "grigoryev" },
  { "Романов", "romanov" },   { "Воробьёв", "vorobyov" },  { "Сергеев", "sergeev" },
  { "Кузьмин", "kuzmin" },    { "Фролов", "frolov" },      { "Александров", "alexandrov" },
  { "Дмитриев", "dmitriev" }, { "Королёв", "korolev" },    { "Гусев", "gusev" },
  { "Киселёв", "kiselev" },   { "Ильин", "ilyin" },        { "Максимов", "maximov" },
  { "Поляков", "polyakov" },  { "Сорокин", "sorokin" },    { "Виноградов", "vinogradov" },
  { "Ковалёв", "kovalev" },   { "Белов", "belov" },        { "Медведев", "medvedev" },
  { "Антонов", "antonov" },   { "Тарасов", "tarasov" },
};

static const char *const boys[] = {
  "Михаил", "Артём", "Матвей", "Тимофей", "Лев", "Марк", "Иван", "Фёдор", "Максим", "Александр",
};

static const char *const girls[] = {
  "София", "Ева", "Алиса", "Варвара", "Вероника", "Милана", "Мария", "Анна", "Василиса", "Полина",
};

static const char *const mail_domains[] = {
  "mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "rambler.ru",
};

/* The state of a run */

typedef enum
{
  TIER_LOYAL,
  TIER_REGULAR,
  TIER_OCCASIONAL,
  N_TIERS
} Tier;

/* Share of customers, and share of the known customers' purchases, per tier. */
static const double tier_customer_share[N_TIERS] = { 0.05, 0.25, 0.70 };
static const double tier_purchase_share[N_TIERS] = { 0.35, 0.40, 0.25 };

typedef struct
{
  char   id[37];
  guint8 store;
  guint8 tier;
  guint8 limited_uses[MAX_LIMITED_RULES];
  gint64 visits;
  gint64 created_at;
  gint64 spent;
  gint64 balance;
} DemoCustomer;

typedef struct
{
  gint64 at;
  gint64 customer; /* index, or -1: anonymous */
  guint  store;
} Slot;

typedef struct
{
  SkDatabase         *db;
  GRand              *rand;     /* what happens: who buys what, when */
  GRand              *id_rand;  /* ids of stores, rules, customers, purchases */
  GRand              *row_rand; /* ids of the bulk path's own rows */
  gboolean            force_bulk;
  GCancellable       *cancellable;
  gint64              n_customers;
  gint64              n_purchases;
  gint64              days;
  gint64              start; /* the window of purchases: [start, end) */
  gint64              end;
  SkSegmentThresholds thresholds;
  gint64              expiry_days;

  char       *store_ids[N_STORES];
  SkStore    *stores[N_STORES]; /* as saved: the sales' rates and shares */
  SkCustomer *sale_customer;    /* see demo_sale_new */
  double      store_cumulative[N_STORES];

  DemoCustomer *customers;             /* in order of registration */
  GArray       *tier_members[N_TIERS]; /* gint64 customer indexes, ascending */

  char           *finished_campaign_id;
  GPtrArray      *rules;     /* SkDiscountRule, live ones, as stored */
  GPtrArray      *campaigns; /* SkCampaign */
  guint           n_limited;
  SkDiscountRule *limited[MAX_LIMITED_RULES];

  double day_category_cumulative[N_CATEGORIES];
  guint  category_products[N_CATEGORIES][16];
  guint  category_n_products[N_CATEGORIES];

  gint64 written; /* purchases written so far */
} Demo;

/* Random helpers: only GRand, so a seed replays the same chain. */

static double
rand_unit (Demo *demo)
{
  return g_rand_double (demo->rand);
}

static gint64
rand_range (Demo *demo, gint64 low, gint64 high) /* [low, high) */
{
  if (high <= low)
    return low;
  return low + (gint64)(g_rand_double (demo->rand) * (double)(high - low));
}

static gboolean
rand_chance (Demo *demo, double p)
{
  return g_rand_double (demo->rand) < p;
}

static guint
rand_cumulative (Demo *demo, const double *cumulative, guint n)
{
  double x = g_rand_double (demo->rand) * cumulative[n - 1];

  for (guint i = 0; i < n; i++)
    if (x < cumulative[i])
      return i;
  return n - 1;
}

/* A UUID from the run's random stream. With a time, a version 7 one: its
 * leading milliseconds keep the primary key indexes append-mostly. */
static void
make_uuid (GRand *rand, gint64 usec, char out[37])
{
  static const char hex[] = "0123456789abcdef";
  guint8            b[16];
  guint             o = 0;

  for (guint i = 0; i < 16; i += 4)
    {
      guint32 r = g_rand_int (rand);

      b[i] = r >> 24;
      b[i + 1] = r >> 16;
      b[i + 2] = r >> 8;
      b[i + 3] = r;
    }
  if (usec > 0)
    {
      guint64 ms = (guint64)usec / 1000;

      for (guint i = 0; i < 6; i++)
        b[i] = ms >> (8 * (5 - i));
      b[6] = 0x70 | (b[6] & 0x0f);
    }
  else
    b[6] = 0x40 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);

  for (guint i = 0; i < 16; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        out[o++] = '-';
      out[o++] = hex[b[i] >> 4];
      out[o++] = hex[b[i] & 0x0f];
    }
  out[o] = '\0';
}

static char *
demo_uuid_dup (Demo *demo, gint64 usec)
{
  char id[37];

  make_uuid (demo->id_rand, usec, id);
  return g_strdup (id);
}

static gboolean
check_cancelled (Demo *demo, GError **error)
{
  return g_cancellable_set_error_if_cancelled (demo->cancellable, error);
}

static gboolean
exec_sql (SkDatabase *db, const char *sql, GError **error)
{
  if (!sk_db_exec_script (db, sql, error))
    {
      g_prefix_error (error, "Demo data: ");
      return FALSE;
    }
  return TRUE;
}

/* Stores, products, campaigns and rules: few, so through the public API. */

static gboolean
create_stores (Demo *demo, GError **error)
{
  double sum = 0;

  for (guint i = 0; i < N_STORES; i++)
    {
      g_autoptr (SkStore) store = sk_store_new ();

      store->id = demo_uuid_dup (demo, 0);
      store->code = g_strdup (stores[i].code);
      store->name = g_strdup (stores[i].name);
      store->address = g_strdup (stores[i].address);
      store->timezone = g_strdup (stores[i].timezone);
      store->bonus_rate = stores[i].bonus_rate;
      store->max_bonus_share = stores[i].max_bonus_share;
      if (!sk_database_save_store (demo->db, store, error))
        return FALSE;
      demo->store_ids[i] = g_strdup (store->id);
      demo->stores[i] = g_object_ref (store);
      sum += stores[i].weight;
      demo->store_cumulative[i] = sum;
    }
  return TRUE;
}

/* @prefix, then @number in the digits left of twelve, then GS1's check
 * digit. */
static void
make_ean13 (const char *prefix, gint64 number, char out[14])
{
  int sum = 0;

  g_snprintf (out, 14, "%s%0*" G_GINT64_FORMAT, prefix, 12 - (int)strlen (prefix), number);
  for (int i = 0; i < 12; i++)
    sum += (out[i] - '0') * (i % 2 == 0 ? 1 : 3);
  out[12] = '0' + (10 - sum % 10) % 10;
  out[13] = '\0';
}

static gboolean
create_products (Demo *demo, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (products); i++)
    {
      g_autoptr (SkProduct) product = g_object_new (SK_TYPE_PRODUCT, NULL);
      Category c = products[i].category;

      product->sku = g_strdup (products[i].sku);
      product->name = g_strdup (products[i].name);
      product->category = g_strdup (category_names[c]);
      product->price = products[i].price;
      /* A barcode, as on the packet, for a scanner: "460" is Russia's
       * range of EAN-13. */
      product->barcode = g_malloc (14);
      make_ean13 ("4607000", i + 1, product->barcode);
      if (!sk_database_save_product (demo->db, product, error))
        return FALSE;
      g_assert (demo->category_n_products[c] < G_N_ELEMENTS (demo->category_products[c]));
      demo->category_products[c][demo->category_n_products[c]++] = i;
    }
  return TRUE;
}

static SkCampaign *
save_campaign (Demo       *demo,
               const char *name,
               const char *description,
               const char *status,
               gint64      starts_at,
               gint64      ends_at,
               gint64      budget,
               GError    **error)
{
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  const char *channels[] = { "email", "sms", "push", NULL };

  campaign->id = demo_uuid_dup (demo, 0);
  campaign->name = g_strdup (name);
  campaign->description = g_strdup (description);
  sk_set_str (&campaign->status, status);
  campaign->starts_at = starts_at;
  campaign->ends_at = ends_at;
  campaign->budget = budget;
  campaign->channels = g_strdupv ((char **)channels);
  if (!sk_database_save_campaign (demo->db, campaign, error))
    return NULL;
  return g_steal_pointer (&campaign);
}

typedef struct
{
  const char *name;
  const char *description;
  const char *type;
  gint64      value;
  gint64      min_purchase;
  gint64      max_discount;
  const char *categories[3];
  const char *segments[3];
  int         stores[3]; /* store indexes + 1; 0 ends */
  gint64      usage_limit_total;
  gint64      usage_limit_per_customer;
  gint64      valid_from;
  gint64      valid_until;
  gboolean    inactive;
  gint64      priority;
  gboolean    exclusive;
  const char *campaign_id;
} RuleSpec;

static gboolean
save_rule (Demo *demo, const RuleSpec *spec, GError **error)
{
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (GStrvBuilder) store_ids = g_strv_builder_new ();

  rule->id = demo_uuid_dup (demo, 0);
  rule->name = g_strdup (spec->name);
  rule->description = g_strdup (spec->description);
  rule->type = g_strdup (spec->type);
  rule->value = spec->value;
  rule->min_purchase = spec->min_purchase;
  rule->max_discount = spec->max_discount;
  rule->categories = g_strdupv ((char **)spec->categories);
  rule->segments = g_strdupv ((char **)spec->segments);
  for (guint i = 0; i < G_N_ELEMENTS (spec->stores) && spec->stores[i] > 0; i++)
    g_strv_builder_add (store_ids, demo->store_ids[spec->stores[i] - 1]);
  rule->store_ids = g_strv_builder_end (store_ids);
  rule->usage_limit_total = spec->usage_limit_total;
  rule->usage_limit_per_customer = spec->usage_limit_per_customer;
  rule->valid_from = spec->valid_from;
  rule->valid_until = spec->valid_until;
  rule->is_active = !spec->inactive;
  rule->priority = spec->priority;
  rule->stackable = !spec->exclusive;
  rule->campaign_id = g_strdup (spec->campaign_id);
  return sk_database_save_rule (demo->db, rule, error);
}

static gboolean
create_rules (Demo *demo, GError **error)
{
  g_autoptr (SkCampaign) school = NULL;
  g_autoptr (SkCampaign) toys = NULL;
  g_autoptr (SkCampaign) summer = NULL;
  g_autoptr (GPtrArray) all = NULL;
  gint64 span = demo->end - demo->start;
  gint64 school_budget = MAX ((gint64)500000, demo->n_purchases * 400);
  gint64 shoe_limit = MAX ((gint64)20, demo->n_purchases / 200);

  school = save_campaign (
      demo, "Снова в школу", "Всё к школе со скидкой, пока не кончится бюджет кампании", "active",
      demo->end - MIN (25, demo->days / 3 + 1) * DAY, demo->end + 20 * DAY, school_budget, error);
  if (school == NULL)
    return FALSE;
  /* Saved active so its rules work inside its period; marked finished at the end. */
  toys = save_campaign (demo, "Неделя игрушек", "Игрушки со скидкой и подарок к большой покупке",
                        "active", demo->start + span * 35 / 100, demo->start + span * 50 / 100, 0,
                        error);
  if (toys == NULL)
    return FALSE;
  demo->finished_campaign_id = g_strdup (toys->id);
  summer = save_campaign (demo, "Летняя распродажа", "Одежда и обувь прошлого сезона: −30 %",
                          "draft", demo->end + 30 * DAY, demo->end + 60 * DAY, 10000000, error);
  if (summer == NULL)
    return FALSE;

  {
    const RuleSpec specs[] = {
      { .name = "Постоянным покупателям −5 %",
        .description = "На всю покупку для постоянных и VIP",
        .type = SK_RULE_PERCENTAGE,
        .value = 500,
        .segments = { SK_SEGMENT_REGULAR, SK_SEGMENT_VIP },
        .priority = 10 },
      { .name = "VIP: −10 % на одежду и обувь",
        .type = SK_RULE_PERCENTAGE,
        .value = 1000,
        .max_discount = 200000,
        .categories = { category_names[CAT_CLOTHES], category_names[CAT_SHOES] },
        .segments = { SK_SEGMENT_VIP },
        .priority = 20 },
      { .name = "500 ₽ при покупке от 5 000 ₽",
        .description = "Не суммируется с другими скидками",
        .type = SK_RULE_FIXED_AMOUNT,
        .value = 50000,
        .min_purchase = 500000,
        .priority = 15,
        .exclusive = TRUE },
      { .name = "Книги −15 % в Москве и Петербурге",
        .type = SK_RULE_PERCENTAGE,
        .value = 1500,
        .categories = { category_names[CAT_BOOKS] },
        .stores = { 1, 2 },
        .priority = 25 },
      { .name = "Двойные бонусы для VIP",
        .type = SK_RULE_BONUS_MULTIPLIER,
        .value = 200,
        .segments = { SK_SEGMENT_VIP },
        .priority = 5 },
      { .name = "Приветственная скидка 300 ₽",
        .description = "Первая покупка от 1 500 ₽",
        .type = SK_RULE_FIXED_AMOUNT,
        .value = 30000,
        .min_purchase = 150000,
        .segments = { SK_SEGMENT_NEW },
        .usage_limit_per_customer = 1,
        .priority = 50,
        .exclusive = TRUE },
      { .name = "Обувь −25 %: ограниченное предложение",
        .type = SK_RULE_PERCENTAGE,
        .value = 2500,
        .categories = { category_names[CAT_SHOES] },
        .usage_limit_total = shoe_limit,
        .valid_from = demo->start + span * 60 / 100,
        .priority = 12,
        .exclusive = TRUE },
      { .name = "Осенняя скидка −7 % на одежду",
        .type = SK_RULE_PERCENTAGE,
        .value = 700,
        .categories = { category_names[CAT_CLOTHES] },
        .valid_from = demo->start + span * 10 / 100,
        .valid_until = demo->start + span * 30 / 100,
        .priority = 8 },
      { .name = "Гигиена: −50 ₽ от 1 000 ₽",
        .type = SK_RULE_FIXED_AMOUNT,
        .value = 5000,
        .min_purchase = 100000,
        .categories = { category_names[CAT_HYGIENE] },
        .priority = 6 },
      { .name = "Старая акция (отключена)",
        .type = SK_RULE_PERCENTAGE,
        .value = 3000,
        .inactive = TRUE,
        .priority = 1 },
      { .name = "Казань: бонусы ×1,5",
        .type = SK_RULE_BONUS_MULTIPLIER,
        .value = 150,
        .stores = { 5 },
        .priority = 4 },
      { .name = "Школьная ярмарка: −20 % к школе",
        .type = SK_RULE_PERCENTAGE,
        .value = 2000,
        .max_discount = 150000,
        .categories = { category_names[CAT_SCHOOL] },
        .priority = 40,
        .campaign_id = school->id },
      { .name = "Тройные бонусы на школьные покупки от 1 000 ₽",
        .type = SK_RULE_BONUS_MULTIPLIER,
        .value = 300,
        .min_purchase = 100000,
        .categories = { category_names[CAT_SCHOOL] },
        .priority = 35,
        .campaign_id = school->id },
      { .name = "Неделя игрушек: −15 %",
        .type = SK_RULE_PERCENTAGE,
        .value = 1500,
        .categories = { category_names[CAT_TOYS] },
        .priority = 30,
        .campaign_id = toys->id },
      { .name = "1 000 ₽ в подарок от 7 000 ₽",
        .type = SK_RULE_FIXED_AMOUNT,
        .value = 100000,
        .min_purchase = 700000,
        .priority = 45,
        .exclusive = TRUE,
        .campaign_id = toys->id },
      { .name = "Летняя распродажа −30 %",
        .type = SK_RULE_PERCENTAGE,
        .value = 3000,
        .categories = { category_names[CAT_CLOTHES], category_names[CAT_SHOES] },
        .priority = 22,
        .exclusive = TRUE,
        .campaign_id = summer->id },
    };

    for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
      if (!save_rule (demo, &specs[i], error))
        return FALSE;
  }

  /* What the engine will see, as the pipeline loads it. */
  all = sk_database_list_rules (demo->db, error);
  if (all == NULL)
    return FALSE;
  demo->rules = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < all->len; i++)
    {
      SkDiscountRule *rule = g_ptr_array_index (all, i);

      if (!rule->is_active)
        continue;
      g_ptr_array_add (demo->rules, g_object_ref (rule));
      if (rule->usage_limit_per_customer > 0)
        {
          g_assert (demo->n_limited < MAX_LIMITED_RULES);
          demo->limited[demo->n_limited++] = rule;
        }
    }
  demo->campaigns = sk_database_list_campaigns (demo->db, error);
  return demo->campaigns != NULL;
}

/* Customers */

static char *
random_date (Demo *demo, gint64 from, gint64 to)
{
  gint64 at = rand_range (demo, from, to);
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (at / G_USEC_PER_SEC);

  return g_date_time_format (dt, "%Y-%m-%d");
}

typedef struct
{
  char       *full_name;
  char       *email;
  char       *birth_date;
  char        phone[16];
  char        card[14];
  gboolean    consent_email;
  gboolean    consent_sms;
  gboolean    consent_push;
  guint       n_children;
  const char *child_names[3];
  char       *child_dates[3];
} Person;

static void
person_clear (Person *p)
{
  g_free (p->full_name);
  g_free (p->email);
  g_free (p->birth_date);
  for (guint i = 0; i < p->n_children; i++)
    g_free (p->child_dates[i]);
}

/* Phones and cards from a bijection of the index, so they never repeat. */
static void
make_person (Demo *demo, gint64 index, const guint32 offset[2], Person *p)
{
  gboolean    female = rand_chance (demo, 0.82);
  const Name *first
      = female ? &female_names[g_rand_int_range (demo->rand, 0, G_N_ELEMENTS (female_names))]
               : &male_names[g_rand_int_range (demo->rand, 0, G_N_ELEMENTS (male_names))];
  const Name *surname = &surnames[g_rand_int_range (demo->rand, 0, G_N_ELEMENTS (surnames))];
  const char *patronymic
      = patronymics[g_rand_int_range (demo->rand, 0, G_N_ELEMENTS (patronymics))][female];
  gint64 phone = (index * (gint64)387420489 + offset[0]) % (gint64)1000000000;
  gint64 card = (index * (gint64)3486784401 + offset[1]) % (gint64)10000000000;
  gint64 now = demo->end;

  memset (p, 0, sizeof *p);
  p->full_name
      = g_strdup_printf ("%s%s %s %s", surname->ru, female ? "а" : "", first->ru, patronymic);
  g_snprintf (p->phone, sizeof p->phone, "+79%09" G_GINT64_FORMAT, phone);
  /* "2" starts the in-store range of EAN-13; then the card's digits. */
  make_ean13 ("27", card, p->card);
  if (rand_chance (demo, 0.75))
    p->email = g_strdup_printf (
        "%s.%s%s%d@%s", first->lat, surname->lat, female ? "a" : "",
        g_rand_int_range (demo->rand, 1, 1000),
        mail_domains[g_rand_int_range (demo->rand, 0, G_N_ELEMENTS (mail_domains))]);
  if (rand_chance (demo, 0.8))
    p->birth_date = random_date (demo, now - 45 * 365 * DAY, now - 20 * 365 * DAY);
  p->consent_email = p->email != NULL && rand_chance (demo, 0.6);
  p->consent_sms = rand_chance (demo, 0.7);
  p->consent_push = rand_chance (demo, 0.35);
  p->n_children
      = g_rand_int_range (demo->rand, 0, 100) < 15 ? 0 : g_rand_int_range (demo->rand, 1, 4);
  for (guint i = 0; i < p->n_children; i++)
    {
      gboolean girl = rand_chance (demo, 0.5);

      p->child_names[i] = girl ? girls[g_rand_int_range (demo->rand, 0, G_N_ELEMENTS (girls))]
                               : boys[g_rand_int_range (demo->rand, 0, G_N_ELEMENTS (boys))];
      p->child_dates[i] = random_date (demo, now - 14 * 365 * DAY, now - 30 * DAY);
    }
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a;
  gint64 y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* Who they are and when they registered: most before the window, the rest
 * during it; sorted, so the customers of time t are a prefix. */
static void
plan_customers (Demo *demo)
{
  g_autofree gint64 *registered = g_new (gint64, MAX (1, demo->n_customers));
  double             cumulative[N_TIERS];
  double             sum = 0;

  for (guint t = 0; t < N_TIERS; t++)
    {
      sum += tier_customer_share[t];
      cumulative[t] = sum;
      demo->tier_members[t] = g_array_new (FALSE, FALSE, sizeof (gint64));
    }
  for (gint64 i = 0; i < demo->n_customers; i++)
    registered[i] = rand_chance (demo, 0.65)
                        ? rand_range (demo, demo->start - 730 * DAY, demo->start)
                        : rand_range (demo, demo->start, demo->end);
  qsort (registered, demo->n_customers, sizeof (gint64), compare_gint64);

  demo->customers = g_new0 (DemoCustomer, MAX (1, demo->n_customers));
  for (gint64 i = 0; i < demo->n_customers; i++)
    {
      DemoCustomer *c = &demo->customers[i];

      c->created_at = registered[i];
      make_uuid (demo->id_rand, c->created_at, c->id);
      c->store = rand_cumulative (demo, demo->store_cumulative, N_STORES);
      c->tier = rand_cumulative (demo, cumulative, N_TIERS);
      g_array_append_val (demo->tier_members[c->tier], i);
    }
}

static gboolean
create_customers_api (Demo *demo, GError **error)
{
  guint32 offset[2] = { g_rand_int (demo->rand), g_rand_int (demo->rand) };

  if (!sk_db_begin (demo->db, error))
    return FALSE;
  for (gint64 i = 0; i < demo->n_customers; i++)
    {
      DemoCustomer *c = &demo->customers[i];
      g_autoptr (SkCustomer) customer = sk_customer_new ();
      Person p;

      make_person (demo, i, offset, &p);
      customer->id = g_strdup (c->id);
      customer->full_name = g_strdup (p.full_name);
      customer->phone = g_strdup (p.phone);
      customer->card_number = g_strdup (p.card);
      customer->email = g_strdup (p.email);
      customer->birth_date = g_strdup (p.birth_date);
      customer->consent_email = p.consent_email;
      customer->consent_sms = p.consent_sms;
      customer->consent_push = p.consent_push;
      customer->home_store_id = g_strdup (demo->store_ids[c->store]);
      customer->created_at = c->created_at;
      for (guint k = 0; k < p.n_children; k++)
        {
          g_autoptr (SkChild) child = sk_child_new (p.child_names[k], p.child_dates[k]);
          g_list_store_append (customer->children, child);
        }
      person_clear (&p);
      if (!sk_database_create_customer (demo->db, customer, error))
        {
          sk_db_rollback (demo->db);
          return FALSE;
        }
    }
  return sk_db_commit (demo->db, error);
}

/* Rows straight into the tables, a chunk per transaction; the same rows
 * sk_database_create_customer writes, sync events aside. */
static gboolean
create_customers_bulk (Demo *demo, GError **error)
{
  SkStmt  *customer_stmt = NULL;
  SkStmt  *child_stmt = NULL;
  SkStmt  *segment_stmt = NULL;
  guint32  offset[2] = { g_rand_int (demo->rand), g_rand_int (demo->rand) };
  gboolean in_transaction = FALSE;
  gboolean ok = FALSE;

  customer_stmt
      = sk_db_prepare (demo->db,
                       "INSERT INTO customers (id, card_number, phone, email, full_name, name_key,"
                       " birth_date, consent_email, consent_sms, consent_push, home_store_id,"
                       " created_at, segment, version)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', 1)",
                       error);
  child_stmt
      = sk_db_prepare (demo->db,
                       "INSERT INTO customer_children (customer_id, position, name, birth_date)"
                       " VALUES (?, ?, ?, ?)",
                       error);
  segment_stmt = sk_db_prepare (demo->db,
                                "INSERT INTO customer_segments (customer_id, segment, assigned_at)"
                                " VALUES (?, 'new', ?)",
                                error);
  if (customer_stmt == NULL || child_stmt == NULL || segment_stmt == NULL)
    goto out;

  for (gint64 i = 0; i < demo->n_customers; i++)
    {
      DemoCustomer    *c = &demo->customers[i];
      g_autofree char *name_key = NULL;
      Person           p;
      gboolean         row_ok;

      if (!in_transaction)
        {
          if (check_cancelled (demo, error) || !sk_db_begin (demo->db, error))
            goto out;
          in_transaction = TRUE;
        }
      make_person (demo, i, offset, &p);
      name_key = sk_name_key (p.full_name);
      sk_stmt_bind_text (customer_stmt, 1, c->id);
      sk_stmt_bind_text (customer_stmt, 2, p.card);
      sk_stmt_bind_text (customer_stmt, 3, p.phone);
      sk_stmt_bind_text (customer_stmt, 4, p.email);
      sk_stmt_bind_text (customer_stmt, 5, p.full_name);
      sk_stmt_bind_text (customer_stmt, 6, name_key);
      sk_stmt_bind_text (customer_stmt, 7, p.birth_date);
      sk_stmt_bind_int64 (customer_stmt, 8, p.consent_email);
      sk_stmt_bind_int64 (customer_stmt, 9, p.consent_sms);
      sk_stmt_bind_int64 (customer_stmt, 10, p.consent_push);
      sk_stmt_bind_text (customer_stmt, 11, demo->store_ids[c->store]);
      sk_stmt_bind_int64 (customer_stmt, 12, c->created_at);
      row_ok = sk_db_step_done (demo->db, customer_stmt, error);
      for (guint k = 0; row_ok && k < p.n_children; k++)
        {
          sk_stmt_bind_text (child_stmt, 1, c->id);
          sk_stmt_bind_int64 (child_stmt, 2, k);
          sk_stmt_bind_text (child_stmt, 3, p.child_names[k]);
          sk_stmt_bind_text (child_stmt, 4, p.child_dates[k]);
          row_ok = sk_db_step_done (demo->db, child_stmt, error);
        }
      if (row_ok)
        {
          sk_stmt_bind_text (segment_stmt, 1, c->id);
          sk_stmt_bind_int64 (segment_stmt, 2, c->created_at);
          row_ok = sk_db_step_done (demo->db, segment_stmt, error);
        }
      person_clear (&p);
      if (!row_ok)
        goto out;
      if ((i + 1) % CUSTOMER_CHUNK == 0 || i + 1 == demo->n_customers)
        {
          in_transaction = FALSE;
          if (!sk_db_commit (demo->db, error))
            goto out;
          g_debug ("Demo: %" G_GINT64_FORMAT " customers", i + 1);
        }
    }
  ok = TRUE;

out:
  if (in_transaction)
    sk_db_rollback (demo->db);
  return ok;
}

/* The calendar: how busy a day is and what sells */

static void
day_date (gint64 day_start, int *month, int *mday, int *weekday)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (day_start / G_USEC_PER_SEC);

  *month = g_date_time_get_month (dt);
  *mday = g_date_time_get_day_of_month (dt);
  *weekday = g_date_time_get_day_of_week (dt);
}

static double
day_weight (Demo *demo, gint64 d)
{
  int    month, mday, weekday;
  double w = 1.0;

  day_date (demo->start + d * DAY, &month, &mday, &weekday);
  if (weekday >= 6)
    w *= 1.45;
  else if (weekday == 5)
    w *= 1.15;
  w *= 1.0 + 0.25 * (double)d / (double)demo->days; /* the chain grows */
  if (month == 12 && mday >= 10)
    w *= 1.6;
  if ((month == 8 && mday >= 15) || (month == 9 && mday <= 5))
    w *= 1.3;
  if (month == 6 && mday == 1) /* Children's Day */
    w *= 1.5;
  return w;
}

static void
set_day_categories (Demo *demo, gint64 day_start)
{
  int    month, mday, weekday;
  double sum = 0;

  day_date (day_start, &month, &mday, &weekday);
  for (guint c = 0; c < N_CATEGORIES; c++)
    {
      double w = category_weights[c];

      if (c == CAT_SCHOOL && ((month == 8 && mday >= 10) || (month == 9 && mday <= 10)))
        w *= 5;
      if (c == CAT_TOYS && month == 12 && mday >= 10)
        w *= 2;
      if ((c == CAT_CLOTHES || c == CAT_SHOES)
          && (month == 3 || month == 4 || month == 9 || month == 10))
        w *= 1.5;
      sum += w;
      demo->day_category_cumulative[c] = sum;
    }
}

/* Picks a registered customer at @at (or -1: an anonymous sale). */
static gint64
pick_customer (Demo *demo, gint64 at)
{
  double  cumulative[N_TIERS];
  double  sum = 0;
  gint64  lo = 0;
  gint64  hi = demo->n_customers;
  Tier    tier;
  GArray *members;
  guint   a, b;

  for (guint t = 0; t < N_TIERS; t++)
    {
      sum += tier_purchase_share[t];
      cumulative[t] = sum;
    }
  if (demo->n_customers == 0 || rand_chance (demo, 0.15))
    return -1;
  tier = rand_cumulative (demo, cumulative, N_TIERS);

  /* Registered by @at: customers [0, hi). */
  while (lo < hi)
    {
      gint64 mid = lo + (hi - lo) / 2;

      if (demo->customers[mid].created_at <= at)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == 0)
    return -1;

  members = demo->tier_members[tier];
  a = 0;
  b = members->len;
  while (a < b)
    {
      guint mid = a + (b - a) / 2;

      if (g_array_index (members, gint64, mid) < lo)
        a = mid + 1;
      else
        b = mid;
    }
  if (a == 0)
    return rand_range (demo, 0, lo);
  return g_array_index (members, gint64, rand_range (demo, 0, a));
}

static int
compare_slots (gconstpointer a, gconstpointer b)
{
  const Slot *x = a;
  const Slot *y = b;

  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  return x->customer < y->customer ? -1 : x->customer > y->customer;
}

/* The day's sales in time order: who, where and when (opening hours,
 * 10:00 to 22:00 local time, busiest after work). */
static GArray *
plan_day (Demo *demo, gint64 day_start, gint64 count)
{
  GArray *slots = g_array_sized_new (FALSE, FALSE, sizeof (Slot), count);

  for (gint64 i = 0; i < count; i++)
    {
      Slot   slot;
      gint64 local;

      local = rand_chance (demo, 0.4) ? rand_range (demo, 17 * 3600, 21 * 3600)
                                      : rand_range (demo, 10 * 3600, 22 * 3600);
      /* The customer depends on when: pick the time in Moscow first. */
      slot.customer = pick_customer (demo, day_start + (local - 3 * 3600) * G_USEC_PER_SEC);
      if (slot.customer >= 0 && rand_chance (demo, 0.85))
        slot.store = demo->customers[slot.customer].store;
      else
        slot.store = rand_cumulative (demo, demo->store_cumulative, N_STORES);
      slot.at = day_start + (local - stores[slot.store].utc_offset * 3600) * G_USEC_PER_SEC
                + rand_range (demo, 0, G_USEC_PER_SEC);
      /* A customer registered today cannot buy before registering. */
      if (slot.customer >= 0 && slot.at <= demo->customers[slot.customer].created_at)
        slot.at = demo->customers[slot.customer].created_at + G_USEC_PER_SEC;
      g_array_append_val (slots, slot);
    }
  g_array_sort (slots, compare_slots);
  return slots;
}

static SkCart *
make_cart (Demo *demo, const char *store_id)
{
  static const double n_lines_cumulative[MAX_LINES] = { 30, 58, 76, 87, 94, 98, 100 };
  SkCart             *cart = sk_cart_new (store_id);
  guint               n = rand_cumulative (demo, n_lines_cumulative, MAX_LINES) + 1;
  guint               chosen[MAX_LINES];
  guint               n_chosen = 0;

  for (guint i = 0; i < n; i++)
    {
      Category c = rand_cumulative (demo, demo->day_category_cumulative, N_CATEGORIES);
      guint    p = demo->category_products[c][g_rand_int_range (demo->rand, 0,
                                                                demo->category_n_products[c])];
      gboolean seen = FALSE;
      gint64   quantity;
      double   q = rand_unit (demo);

      for (guint k = 0; k < n_chosen; k++)
        seen = seen || chosen[k] == p;
      if (seen)
        continue;
      chosen[n_chosen++] = p;
      if (c == CAT_FOOD || c == CAT_HYGIENE)
        quantity = q < 0.5 ? 1 : q < 0.75 ? 2 : q < 0.9 ? 3 : rand_range (demo, 4, 7);
      else
        quantity = q < 0.85 ? 1 : q < 0.97 ? 2 : 3;
      sk_cart_add_line (cart, products[p].sku, products[p].name, category_names[c],
                        products[p].price, quantity);
    }
  return cart;
}

/* How much of what the sale allows (its bonus cap) a customer with
 * @balance spends: often nothing, else all or a round part of it. */
static gint64
choose_spend (Demo *demo, gint64 balance, SkSale *sale)
{
  gint64 allowed, part;

  if (balance < 20000 || !rand_chance (demo, 0.3))
    return 0;
  allowed = sk_sale_get_bonus_cap (sale);
  if (allowed <= 0)
    return 0;
  if (rand_chance (demo, 0.5))
    return allowed;
  /* Whole rubles, never above what is allowed. */
  part = rand_range (demo, 1, allowed + 1) / 100 * 100;
  return part > 0 ? part : allowed;
}

/* The sale of @cart as the till rings it up, for @c (NULL: anonymous) with
 * the balance the demo has kept for it. Takes @result (may be NULL). */
static SkSale *
demo_sale_new (
    Demo *demo, const Slot *slot, DemoCustomer *c, const SkCart *cart, SkEngineResult *result)
{
  SkSale *sale;

  /* One customer object, refreshed per sale: the sale only reads it. */
  if (c != NULL)
    {
      if (demo->sale_customer == NULL)
        demo->sale_customer = sk_customer_new ();
      sk_set_str (&demo->sale_customer->id, c->id);
      demo->sale_customer->bonus_balance = c->balance;
    }
  sale = sk_sale_new_for_cart (demo->stores[slot->store], c ? demo->sale_customer : NULL, cart);
  sk_sale_set_result (sale, result);
  return sale;
}

static void
plan_days (Demo *demo, gint64 *counts)
{
  g_autofree double *weights = g_new (double, demo->days);
  double             total = 0;
  double             cumulative = 0;
  gint64             given = 0;

  for (gint64 d = 0; d < demo->days; d++)
    {
      weights[d] = day_weight (demo, d);
      total += weights[d];
    }
  for (gint64 d = 0; d < demo->days; d++)
    {
      gint64 upto;

      cumulative += weights[d];
      upto = d + 1 == demo->days ? demo->n_purchases
                                 : (gint64)llround ((double)demo->n_purchases * cumulative / total);
      counts[d] = upto - given;
      given = upto;
    }
}

/* Purchases through the real pipeline */

static gboolean
purchases_via_pipeline (Demo *demo, GError **error)
{
  g_autofree gint64 *counts = g_new0 (gint64, demo->days);
  gint64             in_batch = 0;

  plan_days (demo, counts);
  for (gint64 d = 0; d < demo->days; d++)
    {
      gint64 day_start = demo->start + d * DAY;
      g_autoptr (GArray) slots = NULL;

      set_day_categories (demo, day_start);
      slots = plan_day (demo, day_start, counts[d]);
      for (guint i = 0; i < slots->len; i++)
        {
          const Slot   *slot = &g_array_index (slots, Slot, i);
          DemoCustomer *c = slot->customer >= 0 ? &demo->customers[slot->customer] : NULL;
          g_autoptr (SkPurchaseRequest) request = NULL;
          g_autoptr (SkPurchaseResult) result = NULL;
          g_autoptr (SkCart) cart = NULL;
          g_autoptr (SkSale) sale = NULL;
          g_autofree char *id = NULL;
          g_autoptr (GError) local_error = NULL;

          if (in_batch == 0)
            {
              if (check_cancelled (demo, error))
                return FALSE;
              if (!sk_db_begin (demo->db, error))
                return FALSE;
            }
          /* Rung up as the till does: a sale, priced when the customer
           * may spend, then its request through the pipeline. */
          id = demo_uuid_dup (demo, slot->at);
          cart = make_cart (demo, demo->store_ids[slot->store]);
          sale = demo_sale_new (demo, slot, c, cart, NULL);
          sk_sale_set_id (sale, id);
          if (c != NULL && c->balance >= 20000)
            {
              SkEngineResult *quote
                  = sk_database_calculate (demo->db, cart, c->id, slot->at, error);

              if (quote == NULL)
                goto fail;
              sk_sale_set_result (sale, quote);
              sk_sale_set_bonus_to_spend (sale, choose_spend (demo, c->balance, sale));
            }
          request = sk_sale_to_request (sale);
          request->created_at = slot->at;

          result = sk_database_process_purchase (demo->db, request, &local_error);
          if (result == NULL)
            {
              g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                          "Demo purchase %" G_GINT64_FORMAT ": ",
                                          demo->written + 1);
              goto fail;
            }
          if (c != NULL && result->customer != NULL)
            c->balance = result->customer->bonus_balance;
          demo->written++;
          if (++in_batch == PIPELINE_BATCH)
            {
              in_batch = 0;
              if (!sk_db_commit (demo->db, error))
                return FALSE;
            }
        }
      g_debug ("Demo: day %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
               " purchases",
               d + 1, demo->days, demo->written);
    }
  return in_batch == 0 || sk_db_commit (demo->db, error);

fail:
  /* The batch this purchase was in goes; earlier ones stay. */
  sk_db_rollback (demo->db);
  return FALSE;
}

/* Purchases in bulk */

typedef struct
{
  char *name;
  char *sql;
} SavedIndex;

static void
saved_index_free (gpointer data)
{
  SavedIndex *index = data;

  g_free (index->name);
  g_free (index->sql);
  g_free (index);
}

/* A row of the ledger; the balances are the demo's own until the end,
 * when the customers' cached figures are summed from the rows. */
static gboolean
bulk_bonus_row (Demo         *demo,
                DemoCustomer *c,
                const char   *kind,
                gint64        amount,
                const char   *reason,
                SkPurchase   *purchase,
                GError      **error)
{
  g_autoptr (SkBonusTransaction) tx = g_object_new (SK_TYPE_BONUS_TRANSACTION, NULL);
  char id[37];

  make_uuid (demo->row_rand, purchase->created_at, id);
  c->balance += amount;
  tx->id = g_strdup (id);
  tx->customer_id = g_strdup (c->id);
  tx->kind = g_strdup (kind);
  tx->amount = amount;
  tx->balance_after = c->balance;
  tx->reason = g_strdup (reason);
  tx->purchase_id = g_strdup (purchase->id);
  tx->store_id = g_strdup (purchase->store_id);
  tx->created_at = purchase->created_at;
  if (amount > 0 && demo->expiry_days > 0)
    tx->expires_at = purchase->created_at + demo->expiry_days * DAY;
  return sk_db_insert_record (demo->db, "bonus_transactions", SK_RECORD (tx), error);
}

/* One sale: the engine prices it, the sale makes the purchase as the
 * pipeline would, its rows go in, the engine's inputs move on. What the
 * pipeline does per sale for the customers' figures, rule uses and budgets
 * is done here once, from the rows, at the end (bulk_finish_figures). */
static gboolean
bulk_purchase (Demo *demo, const Slot *slot, GError **error)
{
  DemoCustomer *c = slot->customer >= 0 ? &demo->customers[slot->customer] : NULL;
  g_autoptr (SkCart) cart = make_cart (demo, demo->store_ids[slot->store]);
  g_autoptr (SkEngineCustomer) engine_customer = NULL;
  g_autoptr (SkSale) sale = NULL;
  g_autoptr (SkPurchase) purchase = NULL;
  const SkEngineResult *result;
  GListModel           *applications;
  char                  id[37];

  if (c != NULL)
    {
      engine_customer
          = sk_engine_customer_new (c->id, sk_segment_for (&demo->thresholds, c->visits, c->spent));
      for (guint k = 0; k < demo->n_limited; k++)
        if (c->limited_uses[k] > 0)
          sk_engine_customer_set_uses (engine_customer, demo->limited[k]->id, c->limited_uses[k]);
    }
  sale = demo_sale_new (
      demo, slot, c, cart,
      sk_discount_engine_calculate (cart, engine_customer, demo->rules, demo->campaigns, slot->at));
  result = sk_sale_get_result (sale);
  if (c != NULL)
    sk_sale_set_bonus_to_spend (sale, choose_spend (demo, c->balance, sale));

  make_uuid (demo->id_rand, slot->at, id);
  sk_sale_set_id (sale, id);
  purchase = sk_sale_to_purchase (sale, slot->at);
  purchase->updated_at = slot->at; /* history, not news to a till */
  if (!sk_db_insert_purchase (demo->db, purchase, error))
    return FALSE;

  applications = sk_purchase_get_applications (purchase);
  for (guint i = 0; i < g_list_model_get_n_items (applications); i++)
    {
      g_autoptr (SkDiscountApplication) app = g_list_model_get_item (applications, i);
      char application_id[37];

      /* The seed's own ids, so the same seed makes the same rows. */
      make_uuid (demo->row_rand, slot->at, application_id);
      sk_set_str (&app->id, application_id);
      if (!sk_db_insert_record (demo->db, "discount_applications", SK_RECORD (app), error))
        return FALSE;
    }

  for (guint i = 0; i < result->applied->len; i++)
    {
      const SkEngineApplied *applied = &g_array_index (result->applied, SkEngineApplied, i);
      SkDiscountRule        *rule = applied->rule;

      /* The engine's inputs move on as the pipeline's would. */
      rule->uses++;
      for (guint k = 0; c != NULL && k < demo->n_limited; k++)
        if (demo->limited[k] == rule && c->limited_uses[k] < G_MAXUINT8)
          c->limited_uses[k]++;
      if (rule->campaign_id != NULL && applied->amount > 0)
        for (guint k = 0; k < demo->campaigns->len; k++)
          {
            SkCampaign *campaign = g_ptr_array_index (demo->campaigns, k);

            if (g_strcmp0 (campaign->id, rule->campaign_id) == 0)
              campaign->spent += applied->amount;
          }
    }

  if (c != NULL)
    {
      if (purchase->bonus_spent > 0
          && !bulk_bonus_row (demo, c, SK_BONUS_SPEND, -purchase->bonus_spent,
                              N_ ("Paid with bonuses"), purchase, error))
        return FALSE;
      if (purchase->bonus_earned > 0
          && !bulk_bonus_row (demo, c, SK_BONUS_EARN, purchase->bonus_earned,
                              N_ ("Bonuses for a purchase"), purchase, error))
        return FALSE;
      c->visits++;
      c->spent += sk_sale_get_payable (sale);
    }
  return TRUE;
}

/* Secondary indexes of the purchase tables go while the rows pour in and
 * come back sorted at the end, far faster than keeping them on the way. */
static GPtrArray *
drop_purchase_indexes (Demo *demo, GError **error)
{
  g_autoptr (GPtrArray) saved = g_ptr_array_new_with_free_func (saved_index_free);
  SkStmt  *stmt;
  gboolean has_row;

  if (!sk_db_is_sqlite (demo->db))
    return g_steal_pointer (&saved);
  stmt = sk_db_prepare (
      demo->db,
      "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"
      " AND tbl_name IN ('purchases', 'purchase_lines', 'discount_applications',"
      " 'bonus_transactions')",
      error);
  if (stmt == NULL)
    return NULL;
  while (sk_db_step (demo->db, stmt, &has_row, error) && has_row)
    {
      SavedIndex *index = g_new0 (SavedIndex, 1);

      index->name = g_strdup (sk_stmt_text (stmt, 0));
      index->sql = g_strdup (sk_stmt_text (stmt, 1));
      g_ptr_array_add (saved, index);
    }
  sk_stmt_reset (stmt);
  if (error != NULL && *error != NULL)
    return NULL;
  for (guint i = 0; i < saved->len; i++)
    {
      SavedIndex      *index = g_ptr_array_index (saved, i);
      g_autofree char *sql = g_strdup_printf ("DROP INDEX \"%s\"", index->name);

      if (!exec_sql (demo->db, sql, error))
        return NULL;
    }
  return g_steal_pointer (&saved);
}

static gboolean
restore_indexes (Demo *demo, GPtrArray *saved, GError **error)
{
  for (guint i = 0; saved != NULL && i < saved->len; i++)
    {
      SavedIndex      *index = g_ptr_array_index (saved, i);
      g_autofree char *sql = g_strdup_printf ("%s;", index->sql);

      if (!exec_sql (demo->db, sql, error))
        return FALSE;
      g_debug ("Demo: index %s rebuilt", index->name);
    }
  return TRUE;
}

/* The customers' figures, rule uses and campaign budgets, from the rows
 * themselves: the cached figures equal what the rows say by construction. */
static gboolean
bulk_finish_figures (Demo *demo, GError **error)
{
  return exec_sql (
      demo->db,
      "UPDATE customers SET visits = p.n, total_spent = p.spent,"
      "  last_purchase_at = p.last"
      " FROM (SELECT customer_id, count(*) AS n,"
      "         sum (subtotal - discount_total - refunded_total) AS spent,"
      "         max (created_at) AS last"
      "       FROM purchases WHERE customer_id IS NOT NULL GROUP BY customer_id) AS p"
      " WHERE customers.id = p.customer_id;"
      "UPDATE customers SET bonus_balance = b.balance, flagged = CASE WHEN b.balance < 0 THEN 1 "
      "ELSE 0 END"
      " FROM (SELECT customer_id, sum (amount) AS balance FROM bonus_transactions"
      "       GROUP BY customer_id) AS b"
      " WHERE customers.id = b.customer_id;"
      "UPDATE discount_rules SET uses = (SELECT count(*) FROM discount_applications AS a"
      "  WHERE a.rule_id = discount_rules.id);"
      "INSERT INTO rule_customer_uses (rule_id, customer_id, uses)"
      " SELECT rule_id, customer_id, count(*) FROM discount_applications"
      " WHERE customer_id IS NOT NULL GROUP BY customer_id, rule_id;"
      "UPDATE campaigns SET spent = (SELECT coalesce (sum (a.amount), 0)"
      "  FROM discount_applications AS a WHERE a.campaign_id = campaigns.id);",
      error);
}

static gboolean
purchases_in_bulk (Demo *demo, GError **error)
{
  g_autofree gint64 *counts = g_new0 (gint64, demo->days);
  g_autoptr (GPtrArray) saved_indexes = NULL;
  g_autoptr (GError) cancel_error = NULL;
  gboolean lite = sk_db_is_sqlite (demo->db);
  gint64   synchronous = lite ? sk_db_query_int (demo->db, NULL, 2, "PRAGMA synchronous", NULL) : 0;
  gint64 cache_size = lite ? sk_db_query_int (demo->db, NULL, -2000, "PRAGMA cache_size", NULL) : 0;
  gint64 temp_store = lite ? sk_db_query_int (demo->db, NULL, 0, "PRAGMA temp_store", NULL) : 0;
  gint64 in_chunk = 0;
  gboolean ok = FALSE;

  /* The file is new and the rows are made consistent here: no need to
   * check references row by row, nor to wait for the disk per chunk. The
   * sorts that rebuild indexes and sum up go to temporary files, so memory
   * stays flat whatever the size. */
  if (lite
      && !exec_sql (demo->db,
                    "PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF;"
                    " PRAGMA cache_size = -262144; PRAGMA temp_store = FILE;",
                    error))
    return FALSE;
  saved_indexes = drop_purchase_indexes (demo, error);
  if (saved_indexes == NULL)
    goto out;

  plan_days (demo, counts);
  for (gint64 d = 0; d < demo->days && cancel_error == NULL; d++)
    {
      gint64 day_start = demo->start + d * DAY;
      g_autoptr (GArray) slots = NULL;

      set_day_categories (demo, day_start);
      slots = plan_day (demo, day_start, counts[d]);
      for (guint i = 0; i < slots->len; i++)
        {
          if (in_chunk == 0)
            {
              if (check_cancelled (demo, &cancel_error))
                break;
              if (!sk_db_begin (demo->db, error))
                goto out;
            }
          if (!bulk_purchase (demo, &g_array_index (slots, Slot, i), error))
            {
              sk_db_rollback (demo->db);
              goto out;
            }
          demo->written++;
          if (++in_chunk == BULK_CHUNK)
            {
              in_chunk = 0;
              if (!sk_db_commit (demo->db, error))
                goto out;
              g_debug ("Demo: %" G_GINT64_FORMAT " purchases", demo->written);
            }
        }
    }
  if (in_chunk > 0 && !sk_db_commit (demo->db, error))
    goto out;
  ok = TRUE;

out:
  /* Whatever happened, the file gets its indexes and true figures back.
   * SQLite's sorter takes as much memory as the page cache may: a small
   * cache keeps the big sorts below from growing with the file. */
  if (ok)
    g_debug ("Demo: rebuilding indexes and figures");
  if (lite && !exec_sql (demo->db, "PRAGMA cache_size = -32768;", ok ? error : NULL))
    ok = FALSE;
  if (!restore_indexes (demo, saved_indexes, ok ? error : NULL) && ok)
    ok = FALSE;
  if (ok && !bulk_finish_figures (demo, error))
    ok = FALSE;
  {
    g_autofree char *pragmas = g_strdup_printf ("PRAGMA foreign_keys = ON; PRAGMA synchronous = %d;"
                                                " PRAGMA cache_size = %" G_GINT64_FORMAT ";"
                                                " PRAGMA temp_store = %d;",
                                                (int)synchronous, cache_size, (int)temp_store);
    if (lite && !exec_sql (demo->db, pragmas, ok ? error : NULL))
      ok = FALSE;
  }
  if (ok && cancel_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&cancel_error));
      ok = FALSE;
    }
  return ok;
}

/* The whole run */

static gboolean
database_is_empty (Demo *demo, GError **error)
{
  gint64 rows = sk_db_query_int (
      demo->db, error, -1,
      "SELECT (SELECT count(*) FROM stores) + (SELECT count(*) FROM customers)"
      " + (SELECT count(*) FROM purchases) + (SELECT count(*) FROM discount_rules)",
      NULL);
  if (rows < 0)
    return FALSE;
  if (rows > 0)
    {
      sk_set_field_error (error, SK_ERROR_CONFLICT, NULL,
                          _ ("The database already has data; demo data goes into an empty one"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
finish_campaigns (Demo *demo, GError **error)
{
  g_autoptr (SkCampaign) campaign
      = sk_database_get_campaign (demo->db, demo->finished_campaign_id, error);

  if (campaign == NULL)
    return FALSE;
  sk_set_str (&campaign->status, "finished");
  return sk_database_save_campaign (demo->db, campaign, error);
}

static void
demo_clear (Demo *demo)
{
  for (guint i = 0; i < N_STORES; i++)
    {
      g_free (demo->store_ids[i]);
      g_clear_object (&demo->stores[i]);
    }
  for (guint t = 0; t < N_TIERS; t++)
    g_clear_pointer (&demo->tier_members[t], g_array_unref);
  g_free (demo->customers);
  g_clear_object (&demo->sale_customer);
  g_free (demo->finished_campaign_id);
  g_clear_pointer (&demo->rules, g_ptr_array_unref);
  g_clear_pointer (&demo->campaigns, g_ptr_array_unref);
  g_clear_pointer (&demo->rand, g_rand_free);
  g_clear_pointer (&demo->id_rand, g_rand_free);
  g_clear_pointer (&demo->row_rand, g_rand_free);
}

gboolean
sk_demo_generate (SkDatabase          *db,
                  const SkDemoOptions *options,
                  GCancellable        *cancellable,
                  GError             **error)
{
  Demo demo = { NULL };
  g_autoptr (GDateTime) now = NULL;
  g_autoptr (GDateTime) today = NULL;
  gboolean ok = FALSE;
  gboolean bulk;

  g_return_val_if_fail (SK_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  demo.db = db;
  demo.cancellable = cancellable;
  /* Separate streams, so both paths make the same sales with the same ids. */
  demo.rand = g_rand_new_with_seed (options->seed);
  demo.id_rand = g_rand_new_with_seed (options->seed ^ 0x9e3779b9u);
  demo.row_rand = g_rand_new_with_seed (options->seed ^ 0x85ebca6bu);
  demo.force_bulk = g_strcmp0 (g_getenv ("SKIDKA_DEMO_BULK"), "1") == 0;
  demo.n_customers = options->customers >= 0 ? options->customers : DEFAULT_CUSTOMERS;
  demo.n_purchases = options->purchases >= 0 ? options->purchases : DEFAULT_PURCHASES;
  demo.days = options->days > 0 ? options->days : DEFAULT_DAYS;
  if (demo.days > MAX_DAYS || demo.n_customers > (gint64)100000000
      || demo.n_purchases > (gint64)1000000000)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, NULL,
                          _ ("Demo sizes are limited to 100 million customers, a billion purchases"
                             " and %" PRId64 " days"),
                          MAX_DAYS);
      goto out;
    }
  bulk = demo.n_purchases > SK_DEMO_PIPELINE_MAX_PURCHASES || demo.force_bulk;

  /* Sales end where today (UTC) begins, so "the last 30 days" shows them. */
  now = g_date_time_new_now_utc ();
  today = g_date_time_new_utc (g_date_time_get_year (now), g_date_time_get_month (now),
                               g_date_time_get_day_of_month (now), 0, 0, 0);
  demo.end = g_date_time_to_unix (today) * G_USEC_PER_SEC;
  demo.start = demo.end - demo.days * DAY;
  sk_database_get_segment_thresholds (db, &demo.thresholds);
  demo.expiry_days = sk_database_get_setting_int (db, SK_SETTING_BONUS_EXPIRY_DAYS, 0);

  if (!database_is_empty (&demo, error) || check_cancelled (&demo, error))
    goto out;
  if (!create_stores (&demo, error) || !create_products (&demo, error)
      || !create_rules (&demo, error))
    goto out;

  plan_customers (&demo);
  if (demo.n_customers <= API_CUSTOMERS_MAX ? !create_customers_api (&demo, error)
                                            : !create_customers_bulk (&demo, error))
    goto out;
  g_debug ("Demo: %" G_GINT64_FORMAT " customers made", demo.n_customers);

  if (!bulk && !purchases_via_pipeline (&demo, error))
    goto out;
  if (bulk)
    {
      g_autoptr (GError) purchase_error = NULL;
      gboolean purchases_ok = purchases_in_bulk (&demo, &purchase_error);

      /* Cancelled: what was written still gets its segments. */
      if (!purchases_ok && !g_error_matches (purchase_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&purchase_error));
          goto out;
        }
      if (sk_database_update_segments (db, error) < 0 || !finish_campaigns (&demo, error))
        goto out;
      if (!purchases_ok)
        {
          g_propagate_error (error, g_steal_pointer (&purchase_error));
          goto out;
        }
    }
  if (!bulk && !finish_campaigns (&demo, error))
    goto out;
  /* The charts' per-day figures, so the first chart opens at once. */
  if (!sk_analytics_prepare (db, G_MININT64 / 2, G_MAXINT64 / 2, error))
    goto out;
  if (!exec_sql (db,
                 sk_db_is_sqlite (db)
                     ? "PRAGMA analysis_limit = 1000; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);"
                     : "ANALYZE",
                 error))
    goto out;
  ok = TRUE;

out:
  demo_clear (&demo);
  return ok;
}
