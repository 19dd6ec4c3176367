"""Warm-started primal-dual blossom algorithm: maximum-weight perfect matching with its duals.

Edmonds' algorithm in the array form of Joris van Rantwijk's ``mwmatching`` (the one NetworkX and
rustworkx port), changed in three ways for the rotation solver:

* **Warm start.** It starts from a matching and vertex duals supplied by the caller: in practice
  the optimum of the fractional matching LP (an assignment on the bipartite double cover), whose
  2-cycles are already a near-perfect matching. Only the people left exposed by its odd cycles
  need augmenting paths, a few hundred instead of n / 2 stages from scratch.
* **One tree per stage, local work.** Each stage grows one alternating tree from the first exposed
  vertex, until it reaches another exposed vertex. Labels, best edges and dual updates touch only
  the vertices and blossoms of that tree, so a stage costs what its tree costs, not O(n).
* **Duals out.** It returns the vertex duals and the blossoms with their duals, so the caller can
  prove optimality over pairs that were never in the graph (reduced costs).

Perfect matching only: vertex duals are free, blossom duals non-negative. Integer weights; duals
are kept as integers ``Y = 2 y`` (the scale doubles if an odd slack ever needs halving), so
every comparison is exact. Raises ``NoPerfectMatching`` when a tree cannot grow.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

NEVER = 1 << 62


class NoPerfectMatching(Exception):
    """The graph has no perfect matching reachable from this exposed vertex."""

    def __init__(self, vertex: int) -> None:
        super().__init__(f"no augmenting path from vertex {vertex}")
        self.vertex = vertex


@dataclass(frozen=True)
class BlossomResult:
    mate: list[int]  # partner vertex, or -1
    dual2: list[int]  # 2 * scale * y_v
    blossoms: list[tuple[int, list[int]]]  # (scale * z_B, member vertices), only z_B > 0
    scale: int  # 1 unless an odd slack had to be halved (then a power of 2)
    stages: int
    work: int  # edges scanned

    def bound2(self) -> int:
        """2 * scale * (sum of y + sum of z_B (|B| - 1) / 2): the dual objective, exactly."""
        return sum(self.dual2) + sum(z * (len(b) - 1) for z, b in self.blossoms)


def solve_blossom(
    n: int,
    eu: Sequence[int],
    ev: Sequence[int],
    ew: Sequence[int],
    dual2: Sequence[int],
    mate0: Sequence[int],
    *,
    stage_caps: Sequence[int | None] = (None,),
    total_work: int | None = None,
) -> BlossomResult:
    """Maximum-weight perfect matching of the graph (eu[k], ev[k], ew[k]) from a warm start.

    ``dual2[v]`` is twice a feasible vertex dual: dual2[u] + dual2[v] >= 2 w for every edge, with
    equality on every edge of the starting matching ``mate0`` (partner vertex or -1).

    ``stage_caps`` and ``total_work`` cap the edges scanned (a deterministic count, never a
    clock). The exposed roots are taken in passes, one per cap: a stage over its pass's cap is
    abandoned with its root left exposed (a later tree may still reach it, or a later pass with a
    larger cap), and once the total is spent every remaining root stays exposed. Duals stay
    feasible either way, so the dual objective is still an upper bound; the caller pairs the
    vertices left exposed some other way.
    """
    m = len(eu)
    scale = 1
    weight2 = [2 * int(w) for w in ew]
    best_key = [NEVER] * n  # earliest event queued so far for each free vertex, this stage
    keyed: list[int] = []
    endpoint = [0] * (2 * m)
    for k in range(m):
        endpoint[2 * k] = int(eu[k])
        endpoint[2 * k + 1] = int(ev[k])
    neighbend: list[list[int]] = [[] for _ in range(n)]
    for k in range(m):
        neighbend[endpoint[2 * k]].append(2 * k + 1)
        neighbend[endpoint[2 * k + 1]].append(2 * k)
    mate = [-1] * n
    for v in range(n):
        w = int(mate0[v])
        if w < 0:
            continue
        for p in neighbend[v]:
            if endpoint[p] == w:
                mate[v] = p
                break
        else:
            raise ValueError(f"starting matching uses a pair ({v}, {w}) that is not an edge")
    label = [0] * (2 * n)
    labelend = [-1] * (2 * n)
    inblossom = list(range(n))
    blossomparent = [-1] * (2 * n)
    blossomchilds: list[list[int]] = [[] for _ in range(2 * n)]
    blossombase = list(range(n)) + [-1] * n
    blossomendps: list[list[int]] = [[] for _ in range(2 * n)]
    bestedge = [-1] * (2 * n)
    blossombestedges: list[list[int] | None] = [None] * (2 * n)
    unusedblossoms = list(range(2 * n - 1, n - 1, -1))
    dualvar = [int(d) for d in dual2] + [0] * n
    allowedge = [False] * m
    queue: list[int] = []
    # Per-stage bookkeeping, so a stage resets only what it touched.
    touched_b: list[int] = []
    touched_k: list[int] = []
    touched_free: list[int] = []
    mark_b = [False] * (2 * n)
    mark_free = [False] * n
    leaf_cache: list[list[int] | None] = [None] * (2 * n)

    def touch(b: int) -> None:
        if not mark_b[b]:
            mark_b[b] = True
            touched_b.append(b)

    # Lazy duals: an outer blossom labelled in this stage drifts by (delta - t0[b]) since it was
    # labelled (S vertices down, T vertices up, blossom duals the other way); ``settle`` writes
    # the drift into the stored values.
    t0 = [0] * (2 * n)
    version = [0] * (2 * n)
    heap: list[tuple[int, int, int, int]] = []  # (2 * event time, kind, item, version or 0)
    clock = [0]  # delta accumulated in this stage

    def eff(x: int) -> int:
        b = inblossom[x]
        lab = label[b]
        if lab == 1:
            return dualvar[x] - (clock[0] - t0[b])
        if lab == 2:
            return dualvar[x] + (clock[0] - t0[b])
        return dualvar[x]

    def zeff(b: int) -> int:
        lab = label[b]
        if lab == 1:
            return dualvar[b] + (clock[0] - t0[b])
        if lab == 2:
            return dualvar[b] - (clock[0] - t0[b])
        return dualvar[b]

    def slack(k: int) -> int:
        return eff(endpoint[2 * k]) + eff(endpoint[2 * k + 1]) - weight2[k]

    def settle(b: int) -> None:
        lab = label[b]
        if lab not in (1, 2) or blossomparent[b] != -1:
            return
        d = clock[0] - t0[b]
        if d:
            sign = -1 if lab == 1 else 1
            for x in leaves(b):
                dualvar[x] += sign * d
            if b >= n:
                dualvar[b] -= sign * d
        t0[b] = clock[0]

    def leaves(b: int) -> list[int]:
        if b < n:
            return [b]
        cached = leaf_cache[b]
        if cached is not None:
            return cached
        out: list[int] = []
        stack = [b]
        while stack:  # blossoms nest deeply: no recursion
            t = stack.pop()
            if t < n:
                out.append(t)
            elif leaf_cache[t] is not None:
                out.extend(leaf_cache[t])  # type: ignore[arg-type]
            else:
                stack.extend(reversed(blossomchilds[t]))
        leaf_cache[b] = out
        return out

    def assign_label(w: int, t: int, p: int) -> None:
        while True:
            b = inblossom[w]
            label[w] = label[b] = t
            labelend[w] = labelend[b] = p
            bestedge[w] = bestedge[b] = -1
            t0[b] = clock[0]
            touch(w)
            touch(b)
            if t == 1:
                queue.extend(leaves(b))
                return
            if b >= n:
                heapq.heappush(heap, (2 * (clock[0] + dualvar[b]), 4, b, version[b]))
            base = blossombase[b]
            w, t, p = endpoint[mate[base]], 1, mate[base] ^ 1

    def scan_blossom(v: int, w: int) -> int:
        path = []
        base = -1
        while v != -1 or w != -1:
            b = inblossom[v]
            if label[b] & 4:
                base = blossombase[b]
                break
            path.append(b)
            label[b] = 5
            if labelend[b] == -1:
                v = -1
            else:
                v = endpoint[labelend[b]]
                b = inblossom[v]
                v = endpoint[labelend[b]]
            if w != -1:
                v, w = w, v
        for b in path:
            label[b] = 1
        return base

    def add_blossom(base: int, k: int) -> None:
        v, w = endpoint[2 * k], endpoint[2 * k + 1]
        bb, bv, bw = inblossom[base], inblossom[v], inblossom[w]
        b = unusedblossoms.pop()
        touch(b)
        leaf_cache[b] = None
        version[b] += 1
        t0[b] = clock[0]
        blossombase[b] = base
        blossomparent[b] = -1
        settle(bb)
        blossomparent[bb] = b
        path: list[int] = []
        endps: list[int] = []
        while bv != bb:
            settle(bv)
            blossomparent[bv] = b
            path.append(bv)
            endps.append(labelend[bv])
            v = endpoint[labelend[bv]]
            bv = inblossom[v]
        path.append(bb)
        path.reverse()
        endps.reverse()
        endps.append(2 * k)
        while bw != bb:
            settle(bw)
            blossomparent[bw] = b
            path.append(bw)
            endps.append(labelend[bw] ^ 1)
            w = endpoint[labelend[bw]]
            bw = inblossom[w]
        blossomchilds[b] = path
        blossomendps[b] = endps
        label[b] = 1
        labelend[b] = labelend[bb]
        dualvar[b] = 0
        for x in leaves(b):
            if label[inblossom[x]] == 2:
                queue.append(x)
            inblossom[x] = b

    def expand_blossom(b: int) -> None:
        """Expand a T-blossom whose dual reached zero, relabelling the children on its path."""
        settle(b)
        for s in blossomchilds[b]:
            blossomparent[s] = -1
            if s < n:
                inblossom[s] = s
            else:
                for x in leaves(s):
                    inblossom[x] = s
        if label[b] == 2:
            childs = blossomchilds[b]
            endps = blossomendps[b]
            entrychild = inblossom[endpoint[labelend[b] ^ 1]]
            j = childs.index(entrychild)
            if j & 1:
                j -= len(childs)
                jstep, endptrick = 1, 0
            else:
                jstep, endptrick = -1, 1
            p = labelend[b]
            while j != 0:
                label[endpoint[p ^ 1]] = 0
                label[endpoint[endps[j - endptrick] ^ endptrick ^ 1]] = 0
                assign_label(endpoint[p ^ 1], 2, p)
                allowedge[endps[j - endptrick] // 2] = True
                touched_k.append(endps[j - endptrick] // 2)
                j += jstep
                p = endps[j - endptrick] ^ endptrick
                allowedge[p // 2] = True
                touched_k.append(p // 2)
                j += jstep
            bv = childs[j]
            label[endpoint[p ^ 1]] = label[bv] = 2
            labelend[endpoint[p ^ 1]] = labelend[bv] = p
            t0[bv] = clock[0]
            if bv >= n:
                heapq.heappush(heap, (2 * (clock[0] + dualvar[bv]), 4, bv, version[bv]))
            touch(endpoint[p ^ 1])
            touch(bv)
            bestedge[bv] = -1
            j += jstep
            while childs[j] != entrychild:
                bv = childs[j]
                if label[bv] == 1:
                    j += jstep
                    continue
                found = -1
                for x in leaves(bv):
                    if label[x] != 0:
                        found = x
                        break
                if found != -1:
                    label[found] = 0
                    label[endpoint[mate[blossombase[bv]]]] = 0
                    assign_label(found, 2, labelend[found])
                j += jstep
        # Vertices of children left free may already be reachable: queue their best edges.
        for x in leaves(b):
            if label[inblossom[x]] == 0 and bestedge[x] != -1:
                key = 2 * (clock[0] + slack(bestedge[x]))
                if best_key[x] == NEVER:
                    keyed.append(x)
                best_key[x] = key
                heapq.heappush(heap, (key, 2, bestedge[x], 0))
        label[b] = 0
        labelend[b] = -1
        version[b] += 1
        blossomchilds[b] = []
        blossomendps[b] = []
        blossombase[b] = -1
        blossombestedges[b] = None
        bestedge[b] = -1
        unusedblossoms.append(b)

    def augment_blossom(b: int, v: int) -> None:
        """Rotate blossom b so that v becomes its base (explicit stack: blossoms nest deeply)."""

        def rotate(b: int, v: int) -> Iterator[tuple[int, int]]:
            t = v
            while blossomparent[t] != b:
                t = blossomparent[t]
            if t >= n:
                yield (t, v)
            childs = blossomchilds[b]
            endps = blossomendps[b]
            i = j = childs.index(t)
            if i & 1:
                j -= len(childs)
                jstep, endptrick = 1, 0
            else:
                jstep, endptrick = -1, 1
            while j != 0:
                j += jstep
                t = childs[j]
                p = endps[j - endptrick] ^ endptrick
                if t >= n:
                    yield (t, endpoint[p])
                j += jstep
                t = childs[j]
                if t >= n:
                    yield (t, endpoint[p ^ 1])
                mate[endpoint[p]] = p ^ 1
                mate[endpoint[p ^ 1]] = p
            blossomchilds[b] = childs[i:] + childs[:i]
            blossomendps[b] = endps[i:] + endps[:i]
            blossombase[b] = blossombase[blossomchilds[b][0]]

        stack = [rotate(b, v)]
        while stack:
            call = next(stack[-1], None)
            if call is None:
                stack.pop()
            else:
                stack.append(rotate(*call))

    def augment_matching(k: int, free_end: int) -> None:
        """Augment along edge k; free_end is 0 or 1 when that endpoint is outside the tree."""
        for side in (0, 1):
            s = endpoint[2 * k + side]
            p = 2 * k + 1 - side
            if side == free_end:
                bs = inblossom[s]
                if bs >= n:
                    augment_blossom(bs, s)
                mate[s] = p
                continue
            while True:
                bs = inblossom[s]
                if bs >= n:
                    augment_blossom(bs, s)
                mate[s] = p
                if labelend[bs] == -1:
                    break
                t = endpoint[labelend[bs]]
                bt = inblossom[t]
                s = endpoint[labelend[bt]]
                j = endpoint[labelend[bt] ^ 1]
                if bt >= n:
                    augment_blossom(bt, j)
                mate[j] = labelend[bt]
                p = labelend[bt] ^ 1

    def rescale() -> None:
        nonlocal scale
        scale *= 2
        for i in range(2 * n):
            dualvar[i] *= 2
            t0[i] *= 2
        for k in range(m):
            weight2[k] *= 2
        for x in keyed:
            best_key[x] *= 2
        clock[0] *= 2
        heap[:] = [(2 * key, kind, item, ver) for key, kind, item, ver in heap]

    def pop_event() -> tuple[int, int, int] | None:
        """The next valid event as (delta, kind, item), rescaling when a half step is needed."""
        while heap:
            key, kind, item, ver = heap[0]
            if kind == 4:
                b = item
                if version[b] != ver or blossomparent[b] != -1 or label[b] != 2:
                    heapq.heappop(heap)
                    continue
                true = 2 * (clock[0] + zeff(b))
            else:
                k = item
                i, j = endpoint[2 * k], endpoint[2 * k + 1]
                bi, bj = inblossom[i], inblossom[j]
                if allowedge[k] or bi == bj:
                    heapq.heappop(heap)
                    continue
                li, lj = label[bi], label[bj]
                if li == 1 and lj == 1:
                    true = 2 * clock[0] + slack(k)
                    kind = 3
                elif (li == 1 and lj == 0) or (li == 0 and lj == 1):
                    true = 2 * (clock[0] + slack(k))
                    kind = 2
                else:
                    heapq.heappop(heap)
                    continue
            if true != key:
                heapq.heapreplace(heap, (true, kind, item, ver))
                continue
            heapq.heappop(heap)
            if key % 2:
                rescale()
                key *= 2
            return key // 2 - clock[0], kind, item
        return None

    stages = 0
    work = 0
    exhausted = False
    passes = [
        (cap, root) for cap in stage_caps for root in range(n) if mate[root] == -1
    ]  # roots re-checked below: a pass only retries those still exposed
    for stage_work, root in passes:
        if mate[root] != -1 or exhausted:
            continue
        stages += 1
        queue.clear()
        heap.clear()
        clock[0] = 0
        assign_label(root, 1, -1)
        augmented = False
        stage_start = work
        while True:
            while queue and not augmented:
                v = queue.pop()
                nb = neighbend[v]
                work += len(nb)
                now = clock[0]
                bv = inblossom[v]
                yv = dualvar[v] - (now - t0[bv])  # v is an S-vertex
                for p in nb:
                    w = endpoint[p]
                    bw = inblossom[w]
                    if bv == bw:
                        continue
                    lw = label[bw]
                    if lw == 2 and bw < n:
                        continue  # a T-vertex: its edge to S keeps its slack, nothing to do
                    k = p >> 1
                    if allowedge[k]:
                        kslack = 0
                    else:
                        if lw == 1:
                            kslack = yv + dualvar[w] - (now - t0[bw]) - weight2[k]
                        elif lw == 2:
                            kslack = yv + dualvar[w] + (now - t0[bw]) - weight2[k]
                        else:
                            kslack = yv + dualvar[w] - weight2[k]
                        if kslack <= 0:
                            allowedge[k] = True
                            touched_k.append(k)
                    if kslack <= 0:
                        if lw == 0:
                            if mate[blossombase[bw]] == -1:
                                augment_matching(k, 0 if endpoint[2 * k] == w else 1)
                                augmented = True
                                break
                            assign_label(w, 2, p ^ 1)
                        elif lw == 1:
                            base = scan_blossom(v, w)
                            if base >= 0:
                                add_blossom(base, k)
                                bv = inblossom[v]
                            else:  # pragma: no cover - one tree per stage never meets another
                                raise AssertionError("two S-vertices of one tree without a base")
                        elif label[w] == 0:
                            label[w] = 2
                            labelend[w] = p ^ 1
                            touch(w)
                    elif lw == 1:
                        heapq.heappush(heap, (2 * now + kslack, 3, k, 0))
                    else:
                        # Best edge into each vertex inside a blossom that is not in the tree
                        # (or is a T-blossom, not yet reached there): re-offered when a
                        # T-blossom expands and frees it.
                        if (
                            bw >= n
                            and label[w] == 0
                            and (bestedge[w] == -1 or kslack < slack(bestedge[w]))
                        ):
                            bestedge[w] = k
                            if not mark_free[w]:
                                mark_free[w] = True
                                touched_free.append(w)
                        if lw == 0:
                            key = 2 * (now + kslack)
                            if key < best_key[w]:
                                if best_key[w] == NEVER:
                                    keyed.append(w)
                                best_key[w] = key
                                heapq.heappush(heap, (key, 2, k, 0))
            if augmented:
                break
            over = stage_work is not None and work - stage_start > stage_work
            if total_work is not None and work > total_work:
                over = exhausted = True
            if over:
                break
            event = pop_event()
            if event is None:
                break  # no augmenting path from this root in the graph: leave it exposed
            delta, kind, item = event
            clock[0] += delta
            if kind == 4:
                expand_blossom(item)
                continue
            allowedge[item] = True
            touched_k.append(item)
            i, j = endpoint[2 * item], endpoint[2 * item + 1]
            queue.append(i if label[inblossom[i]] == 1 else j)
        # End of stage: settle the drift, expand S-blossoms whose dual is zero, reset the rest.
        for b in touched_b:
            if b < n or blossombase[b] >= 0:
                settle(b)
            t0[b] = 0
        clock[0] = 0
        for b in touched_b:
            label[b] = 0
            labelend[b] = -1
            bestedge[b] = -1
            mark_b[b] = False
            if b >= n:
                blossombestedges[b] = None
        for x in touched_free:
            bestedge[x] = -1
            mark_free[x] = False
        for x in keyed:
            best_key[x] = NEVER
        keyed.clear()
        for k in touched_k:
            allowedge[k] = False
        touched_b.clear()
        touched_k.clear()
        touched_free.clear()

    partner = [endpoint[mate[v]] if mate[v] != -1 else -1 for v in range(n)]
    blossoms = [
        (dualvar[b], sorted(leaves(b)))
        for b in range(n, 2 * n)
        if blossombase[b] >= 0 and dualvar[b] > 0
    ]
    return BlossomResult(partner, dualvar[:n], blossoms, scale, stages, work)
