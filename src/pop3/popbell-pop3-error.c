/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-pop3-error.h"

G_DEFINE_QUARK (popbell-pop3-error-quark, popbell_pop3_error)
