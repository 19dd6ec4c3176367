"""Exact maximum-weight b-matching by successive shortest paths, with exact integer duals.

The problem: mentee i takes at most one mentor, mentor j at most ``cap[j]`` mentees, and arc
(i, j) is worth ``w[i, j] > 0``. Its LP dual has mentee values ``u >= 0``, mentor prices
``v >= 0`` and ``u[i] + v[j] >= w[i, j]`` on every arc; the LP is integral, so a matching and duals
with equal objectives prove each other optimal.

The solver keeps a matching and duals that satisfy every optimality condition among the mentees
already placed (every arc covered, used arcs tight, a mentor with a price is full, an unmatched
mentee has value 0) and places one more mentee at a time (the Hungarian method, on mentors with
capacities): a Dijkstra search over reduced costs ``u[i] + v[j] - w[i, j] >= 0`` finds the
cheapest way to make room, ending at a mentor with a free place or at a mentee who is better off
unmatched, then the duals move by the search distances and the path is flipped. Every number is an
integer, so the duals it returns are exact.

Cold start: with equal priorities, ``flow.solve`` first runs an epsilon-scaling auction
(``_auction``) from prices of one priority unit on the mentors some left-out mentee could take
(``_short_mentors``). It keeps the pairs that are exactly tight under the auction's prices and
places only the other mentees here; ``_repair`` lowers any price set too high. Started from zero
prices instead, a full, degenerate market makes every late mentee's search settle thousands of
mentors.

Warm start: after arcs are added, only the mentees whose new arcs are not covered are taken out
and placed again. A mentor who loses a mentee keeps its price while it has a free place; the
search may end there, and ``_repair`` then lowers the price of any mentor still left with a free
place (the same search with the roles swapped), so all conditions hold again at the end.
"""

from __future__ import annotations

import numpy as np

from matchengine._jit import jit
from matchengine.scoring import BoolArray, IntArray

INF = np.int64(2**62)
#: Columns of the per-mentor search state in ``_place``.
STAMP, DIST, POS, PRED = 0, 1, 2, 3


@jit
def _sift_up(hd: IntArray, hj: IntArray, pos: IntArray, k: int) -> None:
    d = hd[k]
    j = hj[k]
    while k > 0:
        p = (k - 1) >> 1
        if hd[p] < d or (hd[p] == d and hj[p] < j):
            break
        hd[k] = hd[p]
        hj[k] = hj[p]
        pos[hj[k]] = k
        k = p
    hd[k] = d
    hj[k] = j
    pos[j] = k


@jit
def _pop(hd: IntArray, hj: IntArray, pos: IntArray, size: int) -> int:
    """Remove the heap's top (the caller has read it); returns the new size."""
    pos[hj[0]] = -1
    size -= 1
    if size == 0:
        return 0
    d = hd[size]
    j = hj[size]
    k = 0
    while True:
        c = 2 * k + 1
        if c >= size:
            break
        if c + 1 < size and (hd[c + 1] < hd[c] or (hd[c + 1] == hd[c] and hj[c + 1] < hj[c])):
            c += 1
        if hd[c] > d or (hd[c] == d and hj[c] > j):
            break
        hd[k] = hd[c]
        hj[k] = hj[c]
        pos[hj[k]] = k
        k = c
    hd[k] = d
    hj[k] = j
    pos[j] = k
    return size


@jit
def _sift_up_n(hd: IntArray, hj: IntArray, node: IntArray, k: int) -> None:
    """``_sift_up`` with heap positions in column POS of ``node``."""
    d = hd[k]
    j = hj[k]
    while k > 0:
        p = (k - 1) >> 1
        if hd[p] < d or (hd[p] == d and hj[p] < j):
            break
        hd[k] = hd[p]
        hj[k] = hj[p]
        node[hj[k], POS] = k
        k = p
    hd[k] = d
    hj[k] = j
    node[j, POS] = k


@jit
def _pop_n(hd: IntArray, hj: IntArray, node: IntArray, size: int) -> int:
    """``_pop`` with heap positions in column POS of ``node``."""
    node[hj[0], POS] = -1
    size -= 1
    if size == 0:
        return 0
    d = hd[size]
    j = hj[size]
    k = 0
    while True:
        c = 2 * k + 1
        if c >= size:
            break
        if c + 1 < size and (hd[c + 1] < hd[c] or (hd[c + 1] == hd[c] and hj[c + 1] < hj[c])):
            c += 1
        if hd[c] > d or (hd[c] == d and hj[c] > j):
            break
        hd[k] = hd[c]
        hj[k] = hj[c]
        node[hj[k], POS] = k
        k = c
    hd[k] = d
    hj[k] = j
    node[j, POS] = k
    return size


@jit
def _place(
    s: int,
    indptr: IntArray,
    acol: IntArray,
    aw: IntArray,
    cap: IntArray,
    u: IntArray,
    v: IntArray,
    mate: IntArray,
    sstart: IntArray,
    holder: IntArray,
    load: IntArray,
    node: IntArray,
    hd: IntArray,
    hj: IntArray,
    touched: IntArray,
    settled_i: IntArray,
    settled_d: IntArray,
    stamp: int,
) -> int:
    """Place unmatched mentee ``s`` (see module doc). Returns the number of mentors searched.

    A mentor's search state (stamp, distance, heap position, predecessor) is one row of
    ``node``: the search reads them together, and one cache line is cheaper than four.
    """
    best = np.int64(0)
    for a in range(indptr[s], indptr[s + 1]):
        gain = aw[a] - v[acol[a]]
        if gain > best:
            best = gain
    u[s] = best
    end_d = best  # leaving s unmatched costs its whole value
    end_mentor = -1
    end_mentee = s
    size = 0
    nt = 0
    for a in range(indptr[s], indptr[s + 1]):
        j = acol[a]
        r = u[s] + v[j] - aw[a]
        if r >= end_d:
            continue
        if node[j, STAMP] != stamp:
            node[j, STAMP] = stamp
            node[j, DIST] = INF
            node[j, POS] = -1
            touched[nt] = j
            nt += 1
        if r < node[j, DIST]:
            node[j, DIST] = r
            node[j, PRED] = s
            if node[j, POS] < 0:
                hd[size] = r
                hj[size] = j
                node[j, POS] = size
                size += 1
            else:
                hd[node[j, POS]] = r
            _sift_up_n(hd, hj, node, node[j, POS])
    ns = 0  # settled mentees (held by settled mentors)
    count = 0
    while size > 0:
        d = hd[0]
        j = hj[0]
        if d >= end_d:
            break
        size = _pop_n(hd, hj, node, size)
        node[j, POS] = -2  # settled
        count += 1
        if load[j] < cap[j]:
            end_d = d
            end_mentor = j
            end_mentee = -1
            break
        for k in range(sstart[j], sstart[j + 1]):
            i = holder[k]
            settled_i[ns] = i
            settled_d[ns] = d
            ns += 1
            du = d + u[i]
            if du < end_d:
                end_d = du
                end_mentee = i
                end_mentor = -1
            for a in range(indptr[i], indptr[i + 1]):
                j2 = acol[a]
                nd = du + v[j2] - aw[a]
                # end_d only falls, so a mentor reached at end_d or more is never settled.
                if nd >= end_d:
                    continue
                if node[j2, STAMP] != stamp:
                    node[j2, STAMP] = stamp
                    node[j2, DIST] = INF
                    node[j2, POS] = -1
                    touched[nt] = j2
                    nt += 1
                elif node[j2, POS] == -2:
                    continue
                if nd < node[j2, DIST]:
                    node[j2, DIST] = nd
                    node[j2, PRED] = i
                    if node[j2, POS] < 0:
                        hd[size] = nd
                        hj[size] = j2
                        node[j2, POS] = size
                        size += 1
                    else:
                        hd[node[j2, POS]] = nd
                    _sift_up_n(hd, hj, node, node[j2, POS])
    # Move the duals by the search distances.
    for t in range(nt):
        j = touched[t]
        if node[j, POS] == -2 and node[j, DIST] < end_d:
            v[j] += end_d - node[j, DIST]
    for t in range(ns):
        u[settled_i[t]] -= end_d - settled_d[t]
    u[s] -= end_d
    # Flip the path.
    if end_mentor >= 0:
        j = end_mentor
        slot = -1
        for k in range(sstart[j], sstart[j + 1]):
            if holder[k] < 0:
                slot = k
                break
        load[j] += 1
    else:
        i = end_mentee
        if i == s:
            return count
        j = mate[i]
        mate[i] = -1
        slot = -1
        for k in range(sstart[j], sstart[j + 1]):
            if holder[k] == i:
                slot = k
                break
    while True:
        i = node[j, PRED]
        old = mate[i]
        holder[slot] = i
        mate[i] = j
        if i == s:
            break
        j = old
        slot = -1
        for k in range(sstart[j], sstart[j + 1]):
            if holder[k] == i:
                slot = k
                break
    return count


@jit
def _repair(
    j0: int,
    rptr: IntArray,
    rrow: IntArray,
    rw: IntArray,
    u: IntArray,
    v: IntArray,
    mate: IntArray,
    sstart: IntArray,
    holder: IntArray,
    load: IntArray,
    dist: IntArray,
    pred: IntArray,
    seen: IntArray,
    isettled: IntArray,
    msettled: IntArray,
    hd: IntArray,
    hj: IntArray,
    pos: IntArray,
    sk: IntArray,
    sd: IntArray,
    si: IntArray,
    sid: IntArray,
    via: IntArray,
    stamp: int,
) -> int:
    """Lower the price of mentor ``j0``, who has a free place, or fill the place (module doc).

    The mirror of ``_place``: a Dijkstra search over mentees from ``j0``. A mentee reached at
    distance e can move into the mentor it was reached from; the search ends at an unmatched
    mentee (who fills the chain), at a mentor whose price falls to zero on the way (who gives up
    a mentee), or when ``j0``'s own price reaches zero.
    """
    end_d = v[j0]
    end_mentee = -1
    end_mentor = j0
    size = 0
    nk = 0
    ni = 0
    count = 0
    k = j0
    dk = np.int64(0)
    while True:
        # Settle mentor k at dk: its mentees' values rise with its falling price.
        msettled[k] = stamp
        sk[nk] = k
        sd[nk] = dk
        nk += 1
        if k != j0 and dk + v[k] < end_d:
            end_d = dk + v[k]
            end_mentor = k
            end_mentee = -1
        for slot in range(sstart[k], sstart[k + 1]):
            h = holder[slot]
            if h >= 0 and isettled[h] != stamp:
                isettled[h] = stamp
                si[ni] = h
                sid[ni] = dk
                ni += 1
        for a in range(rptr[k], rptr[k + 1]):
            i = rrow[a]
            if mate[i] == k or isettled[i] == stamp:
                continue
            if seen[i] != stamp:
                seen[i] = stamp
                dist[i] = INF
                pos[i] = -1
            nd = dk + u[i] + v[k] - rw[a]
            if nd < dist[i]:
                dist[i] = nd
                pred[i] = k
                if pos[i] < 0:
                    hd[size] = nd
                    hj[size] = i
                    pos[i] = size
                    size += 1
                else:
                    hd[pos[i]] = nd
                _sift_up(hd, hj, pos, pos[i])
        found = False
        while size > 0:
            d = hd[0]
            i = hj[0]
            if d >= end_d:
                break
            size = _pop(hd, hj, pos, size)
            if isettled[i] == stamp:
                continue
            isettled[i] = stamp
            si[ni] = i
            sid[ni] = d
            ni += 1
            count += 1
            if mate[i] < 0:
                end_d = d
                end_mentee = i
                end_mentor = -1
                break
            k = mate[i]
            dk = d
            via[k] = i
            found = True
            break
        if not found:
            break
    for t in range(ni):
        if sid[t] < end_d:
            u[si[t]] += end_d - sid[t]
    for t in range(nk):
        if sd[t] < end_d:
            v[sk[t]] -= end_d - sd[t]
    # Flip the chain that ends at j0.
    if end_mentee >= 0:
        i = end_mentee
    elif end_mentor != j0:
        i = via[end_mentor]
        for kk in range(sstart[end_mentor], sstart[end_mentor + 1]):
            if holder[kk] == i:
                holder[kk] = -1
                break
        load[end_mentor] -= 1
    else:
        return count
    while True:
        target = pred[i]
        mate[i] = target
        if target == j0:
            for kk in range(sstart[j0], sstart[j0 + 1]):
                if holder[kk] < 0:
                    holder[kk] = i
                    break
            load[j0] += 1
            break
        nxt = via[target]
        for kk in range(sstart[target], sstart[target + 1]):
            if holder[kk] == nxt:
                holder[kk] = i
                break
        i = nxt
    return count


@jit
def _solve(
    indptr: IntArray,
    acol: IntArray,
    aw: IntArray,
    rptr: IntArray,
    rrow: IntArray,
    rw: IntArray,
    cap: IntArray,
    order: IntArray,
    u: IntArray,
    v: IntArray,
    mate: IntArray,
    sstart: IntArray,
    holder: IntArray,
    load: IntArray,
) -> int:
    """Place the mentees in ``order`` (unmatched on entry), then repair mentors' free places."""
    n = indptr.size - 1
    m = cap.size
    size = max(n, m) + 1
    dist = np.full(size, INF, dtype=np.int64)
    pred = np.full(size, -1, dtype=np.int64)
    done = np.zeros(size, dtype=np.int64)
    done2 = np.zeros(size, dtype=np.int64)
    done3 = np.zeros(size, dtype=np.int64)
    hd = np.zeros(size, dtype=np.int64)
    hj = np.zeros(size, dtype=np.int64)
    pos = np.full(size, -1, dtype=np.int64)
    touched = np.zeros(size, dtype=np.int64)
    total = int(sstart[m]) + size
    a1 = np.zeros(total, dtype=np.int64)
    a2 = np.zeros(total, dtype=np.int64)
    a3 = np.zeros(total, dtype=np.int64)
    a4 = np.zeros(total, dtype=np.int64)
    via = np.zeros(size, dtype=np.int64)
    node = np.zeros((size, 4), dtype=np.int64)
    work = 0
    stamp = 0
    for t in range(order.size):
        stamp += 1
        work += _place(
            order[t],
            indptr,
            acol,
            aw,
            cap,
            u,
            v,
            mate,
            sstart,
            holder,
            load,
            node,
            hd,
            hj,
            touched,
            a1,
            a2,
            stamp,
        )
    for j in range(m):
        while load[j] < cap[j] and v[j] > 0:
            stamp += 1
            work += _repair(
                j,
                rptr,
                rrow,
                rw,
                u,
                v,
                mate,
                sstart,
                holder,
                load,
                dist,
                pred,
                done,
                done2,
                done3,
                hd,
                hj,
                pos,
                a1,
                a2,
                a3,
                a4,
                via,
                stamp,
            )
    return work


@jit
def _short_mentors(
    indptr: IntArray, acol: IntArray, cap: IntArray, sstart: IntArray, start: IntArray
) -> BoolArray:
    """Mentors that every maximum-cardinality matching fills while some mentee is left out.

    A maximum matching by breadth-first augmenting paths (rounds of Kuhn's algorithm: marks
    persist through a round, rounds repeat until one augments nothing), then the mentors
    reachable from the unmatched mentees by alternating paths, which are the ones the last round
    marked. With equal priorities their optimal prices are about one priority unit each: the
    solver starting from there searches far less than from zero (``flow.solve``).

    ``start`` (mentor per mentee, -1 for none) is a matching on these arcs to grow from, such
    as an earlier auction's on fewer arcs; mentees it leaves out are first placed greedily.
    """
    n = indptr.size - 1
    m = cap.size
    mate = np.full(n, -1, dtype=np.int64)
    holder = np.full(int(sstart[m]), -1, dtype=np.int64)
    load = np.zeros(m, dtype=np.int64)
    for i in range(n):
        j = start[i]
        if j >= 0 and load[j] < cap[j]:
            holder[sstart[j] + load[j]] = i
            load[j] += 1
            mate[i] = j
    for i in range(n):
        if mate[i] >= 0:
            continue
        for a in range(indptr[i], indptr[i + 1]):
            j = acol[a]
            if load[j] < cap[j]:
                holder[sstart[j] + load[j]] = i
                load[j] += 1
                mate[i] = j
                break
    seen_m = np.zeros(m, dtype=np.bool_)
    seen_i = np.zeros(n, dtype=np.bool_)
    via = np.zeros(m, dtype=np.int64)  # mentee through whom each marked mentor was reached
    queue = np.zeros(n, dtype=np.int64)
    while True:
        seen_m[:] = False
        seen_i[:] = False
        grew = False
        for s in range(n):
            if mate[s] >= 0 or seen_i[s] or indptr[s + 1] == indptr[s]:
                continue
            seen_i[s] = True
            queue[0] = s
            head = 0
            tail = 1
            end = -1
            while head < tail and end < 0:
                i = queue[head]
                head += 1
                for a in range(indptr[i], indptr[i + 1]):
                    j = acol[a]
                    if seen_m[j]:
                        continue
                    seen_m[j] = True
                    via[j] = i
                    if load[j] < cap[j]:
                        end = j
                        break
                    for k in range(sstart[j], sstart[j + 1]):
                        h = holder[k]
                        if h >= 0 and not seen_i[h]:
                            seen_i[h] = True
                            queue[tail] = h
                            tail += 1
            if end < 0:
                continue
            grew = True
            # Flip the path: each mentee on it moves to the mentor it reached.
            j = end
            slot = sstart[j] + load[j]
            load[j] += 1
            while True:
                i = via[j]
                old = mate[i]
                holder[slot] = i
                mate[i] = j
                if old < 0:
                    break
                for k in range(sstart[old], sstart[old + 1]):
                    if holder[k] == i:
                        slot = k
                        break
                j = old
        if not grew:
            return seen_m
