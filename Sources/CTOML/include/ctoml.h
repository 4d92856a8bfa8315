#ifndef IDLEWARDEN_CTOML_H
#define IDLEWARDEN_CTOML_H

/* A plain C view of a TOML document parsed by toml++ (Debian's libtomlplusplus-dev, header-only): every value
   with the line and column where it was written, so that config errors can point at the offending key. The
   implementation is C++17 (ctoml.cpp); this header is C, so that Swift imports it without C++ interop. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CTOML_TABLE,
    CTOML_ARRAY,
    CTOML_STRING,
    CTOML_INTEGER,
    CTOML_FLOAT,
    CTOML_BOOLEAN,
    /* A date, a time or a date-time: idlewarden has no such setting, so only the kind is kept. */
    CTOML_DATE_TIME,
} ctoml_kind;

/* One value. The nodes of a document are in depth-first order: the root table first, and each table entry or
   array element right after its parent, followed by its own descendants; `descendants` lets a reader step over
   a whole subtree. Lines and columns are 1-based, columns counted in code points. */
typedef struct {
    ctoml_kind kind;
    /* Table: number of entries; array: number of elements. */
    uint32_t count;
    /* How many nodes after this one belong to it (all levels). */
    size_t descendants;
    uint32_t line, column;
    /* For a table entry, its key (in `strings`) and where the key is written; 0 for the root and array elements. */
    size_t key_offset, key_length;
    uint32_t key_line, key_column;
    /* CTOML_STRING: its UTF-8 text in `strings`. */
    size_t string_offset, string_length;
    /* CTOML_INTEGER, and CTOML_BOOLEAN as 0 or 1. */
    int64_t integer;
    double floating;
} ctoml_node;

typedef enum {
    CTOML_OK,
    /* toml++ rejected the text: `message` says why, at error_line:error_column. */
    CTOML_SYNTAX_ERROR,
    /* The text broke an assumption of toml++'s parser (see ctoml.cpp); invalid TOML. `scope` is what the parser
       was reading, `found` the code point at error_line:error_column. error_line 0: at the end of the text (or
       somewhere toml++ did not say). */
    CTOML_UNEXPECTED,
    CTOML_OUT_OF_MEMORY,
} ctoml_status;

typedef struct {
    ctoml_status status;
    /* CTOML_OK: the nodes (nodes[0] is the root table) and the text of every key and string, not NUL-terminated. */
    ctoml_node *nodes;
    size_t node_count;
    char *strings;
    /* Otherwise: where, and why (NUL-terminated; NULL when the status has none). */
    uint32_t error_line, error_column;
    char *message;
    char *scope;
    uint32_t found;
} ctoml_document;

/* Parses `length` bytes of UTF-8 (NUL bytes included: the length decides). Never throws, never aborts; free the
   result with ctoml_free whatever its status. */
ctoml_document ctoml_parse(const char *text, size_t length);

void ctoml_free(ctoml_document *document);

#ifdef __cplusplus
}
#endif

#endif
