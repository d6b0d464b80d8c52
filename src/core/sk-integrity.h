/* sk-integrity.h: does HQ's store add up? Balances against the ledger,
 * sales against their lines, refunds and ledger rows, customers' figures
 * and rules' uses against the sales, devices against their events.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

/* The problems of the store at @self, one sentence each ("customer ID: its
 * bonus balance is 100 but its ledger adds up to 90"); an empty array when
 * everything adds up; NULL with @error when the database failed. What is
 * checked:
 * - every customer's balance is the sum of their ledger rows;
 * - a sale's lines add up to its subtotal and discount, and what it was
 *   paid in money is the rest less the bonuses spent;
 * - a sale's bonuses earned and spent are in the ledger once, as one row
 *   each, of the sale's customer; its refunds' bonuses are there too, and
 *   its refunded total is the sum of its refunds;
 * - a customer's visits and total spent are those of their sales (less
 *   what was refunded), and a rule's uses those of the sales it discounted;
 * - every device has acknowledged each event it is recorded to have pushed.
 * A sale applied twice shows as a second ledger row, a doubled use or
 * visit. Each check is one statement (one snapshot): it may run while the
 * server writes. It is HQ's check: a till's customers carry HQ's figures,
 * not the sums of the till's own sales. */
GPtrArray *sk_database_check_integrity (SkDatabase *self, GError **error);

G_END_DECLS
