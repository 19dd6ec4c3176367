"""Near-optimal mentor prices by an epsilon-scaling auction: the exact solver's starting point.

Successive shortest paths (``_ssp``) is exact but, started from zero prices, it must discover the
market's prices one mentee at a time; in a full, degenerate market each late mentee then searches
thousands of mentors. An auction (Bertsekas's algorithm for similar objects: each mentor place is
an object, a mentee may also stay unmatched at value 0) finds prices within ``eps`` of optimal
for the whole market at once, and epsilon scaling keeps its bidding short: early rounds move
prices in big steps, later rounds refine them.

The auction's answer is not used as the answer. ``flow.solve`` keeps the pairs that are exactly
tight under the auction's prices, places the other mentees again by shortest paths and repairs
any price left too high, so the result and its integer duals are exact whatever the auction
returns; a good auction only makes that finishing work short.
"""

from __future__ import annotations

import numpy as np

from matchengine._jit import jit
from matchengine.scoring import IntArray


@jit
def auction(
    indptr: IntArray,
    acol: IntArray,
    aw: IntArray,
    cap: IntArray,
    rptr: IntArray,
    rrow: IntArray,
    rw: IntArray,
    sstart: IntArray,
    eps_start: int,
    factor: int,
    eps_end: int,
    price: IntArray,
    holder: IntArray,
    mate: IntArray,
    budget: int,
    keep: bool,
) -> int:
    """Forward auction with epsilon scaling, in place; returns the number of bids.

    It stops where it is after ``budget`` bids, a guard against price wars on unusual inputs:
    the exact solver finishes from whatever state the auction leaves, so stopping early costs
    time there, never correctness.

    ``price`` and ``holder`` are per mentor place (mentor j's places start at ``sstart[j]``),
    ``mate`` per mentee. Each round starts from an empty assignment with the last round's prices
    and ends when every mentee holds a place or prefers none: then each holds a place worth at
    least its best option less ``eps``. Mentees are served first in, first out, from index
    order, so the result depends only on the input. With ``keep``, the first round keeps the
    assignment it is given (every holder within ``eps`` of its best option) and only the
    mentees without a place bid: a warm start after new pairs were added.
    """
    n = indptr.size - 1
    queue = np.empty(n + 1, dtype=np.int64)
    bids = 0
    eps = max(eps_start, eps_end)
    while True:
        if not keep:
            holder[:] = -1
            mate[:] = -1
        keep = False
        tail = 0
        for i in range(n):
            if indptr[i + 1] > indptr[i] and mate[i] < 0:
                queue[tail] = i
                tail += 1
        head = 0
        count = tail
        size = n + 1
        while count > 0:
            i = queue[head]
            head += 1
            if head == size:
                head = 0
            count -= 1
            # Best and second-best values over every place, staying unmatched (0) included.
            b1 = np.int64(0)
            b2 = np.int64(0)
            best_slot = -1
            best_mentor = -1
            for a in range(indptr[i], indptr[i + 1]):
                j = acol[a]
                w = aw[a]
                s1 = -1
                s2 = -1
                for s in range(sstart[j], sstart[j + 1]):
                    if s1 < 0 or price[s] < price[s1]:
                        s2 = s1
                        s1 = s
                    elif s2 < 0 or price[s] < price[s2]:
                        s2 = s
                if s1 < 0:
                    continue
                g1 = w - price[s1]
                if g1 > b1:
                    b2 = b1
                    b1 = g1
                    best_slot = s1
                    best_mentor = j
                elif g1 > b2:
                    b2 = g1
                if s2 >= 0:
                    g2 = w - price[s2]
                    if g2 > b2:
                        b2 = g2
            if best_slot < 0:
                continue  # staying unmatched is as good as any place
            bids += 1
            if bids > budget:
                return bids
            # Never past the bidder's own value: staying unmatched must stay no better.
            price[best_slot] += min(b1 - b2 + eps, b1)
            old = holder[best_slot]
            holder[best_slot] = i
            mate[i] = best_mentor
            if old >= 0:
                mate[old] = -1
                pos = head + count
                if pos >= size:
                    pos -= size
                queue[pos] = old
                count += 1
        bids += _reverse(
            indptr, acol, aw, rptr, rrow, rw, sstart, eps, price, holder, mate, budget - bids
        )
        if bids > budget:
            return bids
        if eps <= eps_end:
            return bids
        # A round leaves prices up to eps above what the market will pay; lowering them all by
        # eps keeps the level from creeping up round after round (the asymmetric market's
        # price floor is staying unmatched, at 0).
        for s in range(price.size):
            price[s] = max(0, price[s] - eps)
        eps = max(eps_end, eps // factor)


@jit
def _reverse(
    indptr: IntArray,
    acol: IntArray,
    aw: IntArray,
    rptr: IntArray,
    rrow: IntArray,
    rw: IntArray,
    sstart: IntArray,
    eps: int,
    price: IntArray,
    holder: IntArray,
    mate: IntArray,
    budget: int,
) -> int:
    """Reverse bids: every free place with a price lowers it until a mentee takes it or it is 0.

    A forward auction only raises prices, so a place nobody took in the last round may keep a
    price from an earlier one; an optimum charges nothing for a free place. Place s of mentor j
    offers itself to the mentee i with the most to gain, w(i, j) - profit(i), at the second
    most's level less eps; i moves (its old place is offered in turn). Every mentee stays within
    eps of its best option, and prices only fall.
    """
    n = indptr.size - 1
    m = sstart.size - 1
    slots = price.size
    owner = np.empty(slots, dtype=np.int64)
    for j in range(m):
        for s in range(sstart[j], sstart[j + 1]):
            owner[s] = j
    mslot = np.full(n, -1, dtype=np.int64)
    for s in range(slots):
        if holder[s] >= 0:
            mslot[holder[s]] = s
    # Each mentee's profit at its place (0 when unmatched), from its own arc's weight.
    profit = np.zeros(n, dtype=np.int64)
    for i in range(n):
        s = mslot[i]
        if s >= 0:
            j = owner[s]
            for a in range(indptr[i], indptr[i + 1]):
                if acol[a] == j:
                    profit[i] = aw[a] - price[s]
                    break
    stack = np.empty(slots + n + 1, dtype=np.int64)
    top = 0
    for s in range(slots):
        if holder[s] < 0 and price[s] > 0:
            stack[top] = s
            top += 1
    bids = 0
    while top > 0:
        top -= 1
        s = stack[top]
        if holder[s] >= 0 or price[s] <= 0:
            continue
        j = owner[s]
        b1 = np.int64(0)
        b2 = np.int64(0)
        best = -1
        best_w = np.int64(0)
        for a in range(rptr[j], rptr[j + 1]):
            i = rrow[a]
            if mslot[i] >= 0 and owner[mslot[i]] == j:
                continue
            g = rw[a] - profit[i]
            if g > b1:
                b2 = b1
                b1 = g
                best = i
                best_w = rw[a]
            elif g > b2:
                b2 = g
        new_price = max(np.int64(0), min(price[s], b2 - eps))
        if best < 0:
            price[s] = 0
            continue
        # The mentee must gain at least eps (or take the place for nothing): each move then
        # raises someone's profit by eps, which bounds the number of moves.
        if b1 - new_price < eps and new_price > 0:
            price[s] = new_price
            continue
        if b1 <= new_price:
            price[s] = new_price
            continue
        bids += 1
        if bids > budget:
            return bids
        old = mslot[best]
        price[s] = new_price
        holder[s] = best
        mslot[best] = s
        mate[best] = j
        profit[best] = best_w - new_price
        if old >= 0:
            holder[old] = -1
            if price[old] > 0:
                stack[top] = old
                top += 1
    return bids
