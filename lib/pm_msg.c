/* SPDX-License-Identifier: MIT */
/* stub: to be written */
