/* An intrusive doubly linked list. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct list_node {
        struct list_node *prev, *next;
};

#define LIST_HEAD_INIT(h)                                                                          \
        {                                                                                          \
                &(h), &(h)                                                                         \
        }

static inline void list_init(struct list_node *head)
{
        head->prev = head->next = head;
}

static inline bool list_empty(const struct list_node *head)
{
        return head->next == head;
}

static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
        n->prev = head->prev;
        n->next = head;
        head->prev->next = n;
        head->prev = n;
}

static inline void list_del(struct list_node *n)
{
        n->prev->next = n->next;
        n->next->prev = n->prev;
        n->prev = n->next = n;
}

/* Moves every node of `from` to the empty list `to`; `from` becomes empty. */
static inline void list_take_all(struct list_node *to, struct list_node *from)
{
        list_init(to);
        if (list_empty(from))
                return;
        *to = *from;
        to->next->prev = to->prev->next = to;
        list_init(from);
}

/* Safe against removal of the current node. */
#define list_for_each_safe(pos, tmp, head)                                                         \
        for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                           \
             (pos) = (tmp), (tmp) = (pos)->next)
