/* sk-demo.h: fills an empty database with a believable chain of children's
 * goods stores, for demos, manual testing and benchmarks at scale.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sk-database.h"

G_BEGIN_DECLS

/* Up to this many purchases go one by one through the real purchase
 * pipeline; above it a bulk path writes the same rows chunk by chunk (the
 * environment variable SKIDKA_DEMO_BULK=1 forces it, for tests that check
 * both paths make the same sales). */
#define SK_DEMO_PIPELINE_MAX_PURCHASES ((gint64)20000)

typedef struct
{
  gint64  customers; /* < 0: the default (1000) */
  gint64  purchases; /* < 0: the default (10000) */
  gint64  days;      /* <= 0: the default (180); purchases end before today (UTC) */
  guint32 seed;      /* the same seed gives the same chain, shifted to end today */
} SkDemoOptions;

/* Refuses a database that already has stores, customers or purchases
 * (SK_ERROR_CONFLICT). Cancelling leaves what was written so far, with the
 * indexes and the customers' figures consistent (G_IO_ERROR_CANCELLED). */
gboolean sk_demo_generate (SkDatabase          *db,
                           const SkDemoOptions *options,
                           GCancellable        *cancellable,
                           GError             **error);

G_END_DECLS
