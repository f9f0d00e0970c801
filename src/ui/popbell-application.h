/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define POPBELL_TYPE_APPLICATION (popbell_application_get_type ())
G_DECLARE_FINAL_TYPE (PopbellApplication, popbell_application, POPBELL, APPLICATION, GtkApplication)

PopbellApplication *popbell_application_new (void);

G_END_DECLS
