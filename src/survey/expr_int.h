/*
 * expr_int.h — the parsed form of an expression, private to src/survey/: the parser and
 * evaluator (expr.c) and the translator to XPath (xpath.c) walk the same tree. Nothing outside
 * src/survey/ includes this file; the public contract is survey.h.
 * Invariant: a tree is built only by expr_parse (expr.c), so node heights are bounded by
 * EXPR_MAX_DEPTH and every recursive walk over it is bounded too.
 */
#ifndef PINGGU_SURVEY_EXPR_INT_H
#define PINGGU_SURVEY_EXPR_INT_H

#include "survey.h"

enum op {
    OP_NUM,
    OP_STR,
    OP_REF,
    OP_SELF,
    OP_OR,
    OP_AND,
    OP_NOT,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_NEG,
    OP_CALL
};

enum fn {
    FN_SELECTED,
    FN_COUNT_SELECTED,
    FN_IF,
    FN_STRING_LENGTH,
    FN_TODAY,
    FN_NUMBER,
    FN_INT,
    FN_COALESCE,
    FN_COUNT,
    FN_SUM,
    FN_MIN,
    FN_MAX,
    FN_TRUE,
    FN_FALSE,
    FN_NOT
};

struct expr_node {
    enum op op;
    enum fn fn;               /* OP_CALL */
    int height;               /* 1 + the tallest child: bounds evaluation's recursion */
    size_t ref;               /* OP_REF, OP_SELF: index into expr.refs */
    double num;               /* OP_NUM */
    const char *str;          /* OP_STR: arena, NUL-terminated */
    size_t len;               /* OP_STR */
    struct expr_node *kid[2]; /* unary and binary operators */
    struct expr_node **args;  /* OP_CALL: arena */
    size_t nargs;
};

#endif
