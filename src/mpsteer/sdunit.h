/* SPDX-License-Identifier: MIT */
/*
 * The pure part of `mpsteer systemd`: reading a service the way systemd merges it (unit file or
 * template, then drop-ins by name, empty assignments resetting lists, continuation lines) and
 * writing the [Service] lines of our drop-in. No printing, no exiting: 0 / -errno, with a
 * static explanation in *why where the caller should tell the user more than strerror().
 */
#ifndef MPS_SDUNIT_H
#define MPS_SDUNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SD_DROPIN_NAME "mpsteer.conf"
#define SD_MAX_EXEC 32

/* What the [Service] section says, as far as mpsteer needs it. */
struct sd_unit {
	char *exec[SD_MAX_EXEC]; /* ExecStart= values, raw, after resets */
	int n_exec;
	char *type;       /* Type= */
	char *ld_preload; /* LD_PRELOAD from Environment= */
	char *godebug;    /* GODEBUG from Environment= */
	bool has_pidfile;
	bool has_envfile;
};

void sd_unit_free(struct sd_unit *u);

/* "web" -> "web.service"; -EINVAL for names systemd would not accept (or with a '/'). */
int sd_unit_name(const char *arg, char *out, size_t len);
/* "foo@bar.service" -> "foo@.service"; false when UNIT is no template instance. */
bool sd_template_of(const char *unit, char *out, size_t len);

/* Applies one unit file or drop-in, in order, to u. */
int sd_unit_parse_stream(struct sd_unit *u, FILE *f);
int sd_unit_parse_file(struct sd_unit *u, const char *path);
/* Words of one Environment= value, systemd quoting; keeps LD_PRELOAD and GODEBUG. */
void sd_env_parse(struct sd_unit *u, const char *value);

/*
 * Loads UNIT under ROOT ("" for /) from the unit directories, highest priority first, then the
 * template's and the unit's drop-ins except ours. path gets the unit file used. -ENOENT when
 * there is none.
 */
int sd_unit_load(struct sd_unit *u, const char *root, const char *unit, char *path, size_t len);

/*
 * The [Service] lines of the drop-in (without the header). exec: ExecStart= reset and re-issued
 * as PREFIX MPSTEER run [--detach] -- ORIGINAL. env: LD_PRELOAD=LIB and
 * GODEBUG=multipathtcp=1 merged with the unit's own values.
 * sd_dropin_exec fails with -ENOEXEC (no ExecStart=), -EINVAL ("@" prefix) or -EEXIST (already
 * wrapped), *why saying which.
 */
int sd_dropin_exec(FILE *f, const struct sd_unit *u, const char *mpsteer, const char **why);
int sd_dropin_env(FILE *f, const struct sd_unit *u, const char *lib);

#endif
