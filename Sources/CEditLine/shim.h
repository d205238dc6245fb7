// libedit's el_set, el_get and history() are C-variadic, which Swift cannot call.
// Each use is wrapped here in a one-line static inline function.
#ifndef MITHAI_CEDITLINE_SHIM_H
#define MITHAI_CEDITLINE_SHIM_H
#include <histedit.h>
#include <stdio.h>
#include <locale.h>
#include <wchar.h>

typedef int (*mithai_getc_fn)(EditLine *, wchar_t *);
typedef char *(*mithai_prompt_fn)(EditLine *);
typedef unsigned char (*mithai_cmd_fn)(EditLine *, int);

static inline int mithai_el_set_editor(EditLine *e, const char *mode) { return el_set(e, EL_EDITOR, mode); }
static inline int mithai_el_set_prompt(EditLine *e, mithai_prompt_fn f) { return el_set(e, EL_PROMPT, f); }
static inline int mithai_el_set_signal(EditLine *e, int on) { return el_set(e, EL_SIGNAL, on); }
static inline int mithai_el_set_getc(EditLine *e, mithai_getc_fn f) { return el_wset(e, EL_GETCFN, f); }
static inline int mithai_el_set_history(EditLine *e, History *h) { return el_set(e, EL_HIST, history, h); }
static inline int mithai_el_addfn(EditLine *e, const char *name, const char *help, mithai_cmd_fn f) { return el_set(e, EL_ADDFN, name, help, f); }
static inline int mithai_el_bind(EditLine *e, const char *key, const char *fn) { return el_set(e, EL_BIND, key, fn, NULL); }
static inline int mithai_el_set_clientdata(EditLine *e, void *d) { return el_set(e, EL_CLIENTDATA, d); }
static inline int mithai_el_source(EditLine *e) { return el_source(e, NULL); }

static inline int mithai_history_setsize(History *h, HistEvent *ev, int n) { return history(h, ev, H_SETSIZE, n); }
static inline int mithai_history_setunique(History *h, HistEvent *ev, int on) { return history(h, ev, H_SETUNIQUE, on); }
static inline int mithai_history_enter(History *h, HistEvent *ev, const char *line) { return history(h, ev, H_ENTER, line); }
static inline int mithai_history_load(History *h, HistEvent *ev, const char *path) { return history(h, ev, H_LOAD, path); }
static inline int mithai_history_save(History *h, HistEvent *ev, const char *path) { return history(h, ev, H_SAVE, path); }
#endif
