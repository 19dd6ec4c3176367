"""Compiled pair scoring for P1: each mentee's best mentors, and the pairs the duals do not cover.

A pair's fit is computed exactly as ``scoring.score_block`` computes it, one pair at a time:

* every criterion but distance from bit sets: a mentee's items for a criterion all carry the same
  points (the criterion's weight shared over the mentee's items), so the criterion gives
  ``points * popcount(mentee items & mentor items)``; whole numbers, so the sum is exact;
* distance from the squared chord with the same ``+ - * / sqrt`` steps as ``geo`` and numpy, so
  the same bits come out.

Hard constraints are checked before any score: travel (squared chords against both limits), then
gender and language (bit masks), then exclusions (a sorted list per mentee). The fit is only
finished when it could matter: a pair whose fit without distance plus the most distance can give
cannot reach a mentee's current K-th best, or cannot break the duals, is dropped unscored.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from matchengine._jit import jit, jit_inline, popcount
from matchengine.scoring import IntArray

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_ASIN = np.array(
    [math.factorial(2 * k) / (4**k * math.factorial(k) ** 2 * (2 * k + 1)) for k in range(11)]
)


@jit_inline
def _great_circle(c2: float, radius: float, coeffs: F64) -> float:
    """``geo.great_circle_from_chord2`` for one squared chord, with the same operations."""
    x = math.sqrt(min(max(c2, 0.0), 4.0)) * 0.5
    for _ in range(2):
        x = x / math.sqrt(2.0 * (1.0 + math.sqrt(1.0 - x * x)))
    y2 = x * x
    series = coeffs[coeffs.size - 1]
    for k in range(coeffs.size - 2, -1, -1):
        series = series * y2 + coeffs[k]
    half = 4.0 * x * series
    d: float = 2.0 * half * radius
    return d


@jit_inline
def _distance_points(c2: float, radius: float, scale: float, points: float, coeffs: F64) -> int:
    """Distance points for a squared chord: ``scoring._points_for``, one pair at a time."""
    share = max(0.0, 1.0 - _great_circle(c2, radius, coeffs) / scale)
    return int(np.rint(share * points))


@jit
def _kernel(
    mode: int,
    g_mem: IntArray,
    g_mptr: IntArray,
    g_clo: IntArray,
    g_chi: IntArray,
    g_col: IntArray,
    g_cd: F64,
    g_ctr: F64,
    keep: int,
    limit: IntArray,
    u: IntArray,
    v: IntArray,
    base: IntArray,
    fit_weight: int,
    theta: int,
    near: int,
    spare: int,
    a_xyz: F64,
    b_xyz: F64,
    a_loc: BoolArray,
    b_loc: BoolArray,
    a_lim: F64,
    b_lim: F64,
    a_has: BoolArray,
    b_has: BoolArray,
    travel_hard: bool,
    a_gown: IntArray,
    a_gref: IntArray,
    b_gown: IntArray,
    b_gref: IntArray,
    need_lang: BoolArray,
    a_lang: U64,
    b_lang: U64,
    ex_ptr: IntArray,
    ex_col: IntArray,
    a_bits: U64,
    a_pts: IntArray,
    b_bits: U64,
    dist_pts: float,
    scale2: float,
    radius: float,
    scale: float,
    coeffs: F64,
    b_id: IntArray,
    b_at: IntArray,
    out_col: IntArray,
    out_fit: IntArray,
    out_count: IntArray,
) -> tuple[IntArray, IntArray, IntArray, int]:
    """Both scans (``top_k`` with mode 0, ``violations`` with mode 1) share this loop.

    The checks are written out here rather than in helpers: a helper taking the arrays costs
    several times the checks themselves, even inlined.
    """
    size = keep + 1
    hf = np.zeros(max(size, 1), dtype=np.int64)
    hc = np.zeros(max(size, 1), dtype=np.int64)
    dmax = int(np.rint(dist_pts)) if dist_pts > 0.0 else 0
    cap = 1 << 12
    out_r = np.empty(cap, dtype=np.int64)
    out_c = np.empty(cap, dtype=np.int64)
    out_f = np.empty(cap, dtype=np.int64)
    n_out = 0
    counted = 0
    n_words = a_bits.shape[1]
    n_lang = a_lang.shape[1]
    for g in range(g_mptr.size - 1):
        c_lo = g_clo[g]
        c_hi = g_chi[g]
        cx = g_ctr[g, 0]
        cy = g_ctr[g, 1]
        cz = g_ctr[g, 2]
        ringed = travel_hard and not math.isnan(cx)
        for t in range(g_mptr[g], g_mptr[g + 1]):
            i = g_mem[t]
            lim = limit[i] if mode == 1 else 0
            if mode == 1 and lim <= 0:
                continue
            slack_i = (u[i] - base[i] - near) if mode == 1 else 0
            ax = a_xyz[i, 0]
            ay = a_xyz[i, 1]
            az = a_xyz[i, 2]
            alim = a_lim[i]
            aloc = a_loc[i]
            ahas = a_has[i]
            agref = a_gref[i]
            agown = a_gown[i]
            nl = need_lang[i]
            elo = ex_ptr[i]
            ehi = ex_ptr[i + 1]
            # Mentors come nearest the group's centre first: past chord ``far`` from it, the
            # triangle inequality puts every mentor beyond this mentee's limit (with room for
            # rounding), so the loop stops there.
            far = math.inf
            if ringed and aloc and ahas:
                ex = ax - cx
                ey = ay - cy
                ez = az - cz
                far = math.sqrt(ex * ex + ey * ey + ez * ez) + math.sqrt(alim) + 1e-9
            n_h = 0
            for q in range(c_lo, c_hi):
                if g_cd[q] > far:
                    break
                j = g_col[q]
                jo = b_id[j]
                vj = 0
                if mode == 1:
                    vj = v[jo]
                    # The bound covers this mentor's pairs with ``spare`` to spare: see
                    # ``mentoring._rescan``, which relies on every pair left out being so.
                    if vj >= lim + spare:
                        continue
                else:
                    counted += 1
                # Hard constraints: travel, gender, language, exclusions.
                both = aloc and b_loc[j]
                c2 = 4.0
                if both:
                    dx = ax - b_xyz[j, 0]
                    dy = ay - b_xyz[j, 1]
                    dz = az - b_xyz[j, 2]
                    c2 = dx * dx + dy * dy + dz * dz
                if travel_hard:
                    if both:
                        if c2 > min(alim, b_lim[j]):
                            continue
                    elif ahas or b_has[j]:
                        continue
                if (agref >> b_gown[j]) & 1 or (b_gref[j] >> agown) & 1:
                    continue
                if nl:
                    shared = False
                    for w in range(n_lang):
                        if a_lang[i, w] & b_lang[j, w]:
                            shared = True
                            break
                    if not shared:
                        continue
                if ehi > elo:
                    lo = elo
                    hi = ehi
                    while lo < hi:
                        mid = (lo + hi) >> 1
                        if ex_col[mid] < jo:
                            lo = mid + 1
                        else:
                            hi = mid
                    if lo < ehi and ex_col[lo] == jo:
                        continue
                # Fit without distance, then the most distance could add.
                fit = 0
                for w in range(n_words):
                    p = a_pts[i, w]
                    if p != 0:
                        fit += p * popcount(a_bits[i, w] & b_bits[j, w])
                near_enough = dist_pts > 0.0 and c2 < scale2
                ub = fit + (dmax if near_enough else 0)
                if mode == 1:
                    if ub < theta or fit_weight * ub <= slack_i + vj:
                        continue
                    counted += 1
                    if near_enough:
                        fit += _distance_points(c2, radius, scale, dist_pts, coeffs)
                    if fit < theta or fit_weight * fit <= slack_i + vj:
                        continue
                    if n_out == out_r.size:
                        grow = out_r.size * 2
                        r2 = np.empty(grow, dtype=np.int64)
                        c3 = np.empty(grow, dtype=np.int64)
                        f2 = np.empty(grow, dtype=np.int64)
                        r2[:n_out] = out_r[:n_out]
                        c3[:n_out] = out_c[:n_out]
                        f2[:n_out] = out_f[:n_out]
                        out_r = r2
                        out_c = c3
                        out_f = f2
                    out_r[n_out] = i
                    out_c[n_out] = jo
                    out_f[n_out] = fit
                    n_out += 1
                    continue
                # Top-K: the heap's top is the worst kept pair (lowest fit, then last mentor).
                if n_h == size and (ub < hf[0] or (ub == hf[0] and jo > hc[0])):
                    continue
                if near_enough:
                    fit += _distance_points(c2, radius, scale, dist_pts, coeffs)
                if n_h < size:
                    k = n_h
                    n_h += 1
                    while k > 0:
                        par = (k - 1) >> 1
                        if hf[par] < fit or (hf[par] == fit and hc[par] > jo):
                            break
                        hf[k] = hf[par]
                        hc[k] = hc[par]
                        k = par
                    hf[k] = fit
                    hc[k] = jo
                    continue
                if fit < hf[0] or (fit == hf[0] and jo > hc[0]):
                    continue
                k = 0
                while True:
                    c = 2 * k + 1
                    if c >= size:
                        break
                    if c + 1 < size and (
                        hf[c + 1] < hf[c] or (hf[c + 1] == hf[c] and hc[c + 1] > hc[c])
                    ):
                        c += 1
                    if hf[c] > fit or (hf[c] == fit and hc[c] < jo):
                        break
                    hf[k] = hf[c]
                    hc[k] = hc[c]
                    k = c
                hf[k] = fit
                hc[k] = jo
            if mode == 1:
                continue
            # Best first: sort the kept pairs by (-fit, mentor).
            for a in range(1, n_h):
                f = hf[a]
                c = hc[a]
                b = a - 1
                while b >= 0 and (hf[b] < f or (hf[b] == f and hc[b] > c)):
                    hf[b + 1] = hf[b]
                    hc[b + 1] = hc[b]
                    b -= 1
                hf[b + 1] = f
                hc[b + 1] = c
            for a in range(n_h):
                out_col[t, a] = hc[a]
                out_fit[t, a] = hf[a]
            out_count[t] = n_h
    return out_r[:n_out], out_c[:n_out], out_f[:n_out], counted


#: Names shown per list in an unmatched mentee's reason (``explain._names``), plus one.
SHOWN = 6


@jit
def explain_block(
    rows: IntArray,
    priority: IntArray,
    big: int,
    strict: bool,
    full: BoolArray,
    high: IntArray,
    gender_pts: int,
    try_genders: IntArray,
    la_bits: U64,
    la_pts: IntArray,
    lb_bits: U64,
    a_xyz: F64,
    b_xyz: F64,
    a_loc: BoolArray,
    b_loc: BoolArray,
    a_lim: F64,
    b_lim: F64,
    a_has: BoolArray,
    b_has: BoolArray,
    travel_hard: bool,
    a_gown: IntArray,
    a_gref: IntArray,
    b_gown: IntArray,
    b_gref: IntArray,
    need_lang: BoolArray,
    a_lang: U64,
    b_lang: U64,
    ex_ptr: IntArray,
    ex_col: IntArray,
    a_bits: U64,
    a_pts: IntArray,
    b_bits: U64,
    dist_pts: float,
    scale2: float,
    radius: float,
    scale: float,
    coeffs: F64,
    b_id: IntArray,
    b_at: IntArray,
    flags: IntArray,
    genders: IntArray,
    counts: IntArray,
    shown: IntArray,
    picks: IntArray,
    travel: F64,
) -> None:
    """What ``explain._Rows`` and ``_explain_one`` find for each unmatched mentee, in one pass
    over every mentor per mentee, the pair facts computed as ``_kernel`` computes them.

    Per row r: ``flags`` bits 0-4 say some mentor speaks the language (or none is needed), also
    has the gender asked for, also accepts the mentee's gender, is also within the mentee's
    reach, is also within the mentor's own; bit 5 that accepting a mentor without the language
    works. ``genders``: bit k, that also accepting gender k works.
    ``counts``: allowed mentors, allowed mentors with a free place, mentors who fit but are
    excluded. ``shown``: the first allowed and the first excluded mentors (-1 past the end).
    ``picks``: the nearest mentor beyond the travel limit whose pair would work, and the best
    fitting full mentor (-1 for none). ``travel``: that nearest mentor's distance and squared
    chord.
    """
    m = b_xyz.shape[0]
    n_words = a_bits.shape[1]
    n_lang = a_lang.shape[1]
    n_la = la_bits.shape[1]
    for r in range(rows.size):
        i = rows[r]
        ax = a_xyz[i, 0]
        ay = a_xyz[i, 1]
        az = a_xyz[i, 2]
        aloc = a_loc[i]
        ahas = a_has[i]
        alim = a_lim[i]
        agref = a_gref[i]
        agown = a_gown[i]
        nl = need_lang[i]
        elo = ex_ptr[i]
        ehi = ex_ptr[i + 1]
        base = big * priority[i]
        wants_travel = travel_hard and ahas and aloc
        f = 0
        g_ok = 0
        n_allowed = 0
        n_free = 0
        n_banned = 0
        best_d = math.inf
        best_c2 = 0.0
        near_j = -1
        extra_j = -1
        extra_fit = -1
        for k in range(SHOWN):
            shown[r, k] = -1
            shown[r, SHOWN + k] = -1
        for jo in range(m):
            j = b_at[jo]
            lang = True
            if nl:
                lang = False
                for w in range(n_lang):
                    if a_lang[i, w] & b_lang[j, w]:
                        lang = True
                        break
            g_mentee = ((agref >> b_gown[j]) & 1) == 0
            g_mentor = ((b_gref[j] >> agown) & 1) == 0
            both = aloc and b_loc[j]
            c2 = 4.0
            if both:
                dx = ax - b_xyz[j, 0]
                dy = ay - b_xyz[j, 1]
                dz = az - b_xyz[j, 2]
                c2 = dx * dx + dy * dy
                c2 = c2 + dz * dz
            reach = True
            m_reach = True
            if travel_hard:
                if both:
                    reach = c2 <= alim
                    m_reach = c2 <= b_lim[j]
                else:
                    reach = not ahas
                    m_reach = not b_has[j]
            keep = True
            if ehi > elo:
                lo = elo
                hi = ehi
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if ex_col[mid] < jo:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo < ehi and ex_col[lo] == jo:
                    keep = False
            ready = g_mentor and m_reach and keep
            allowed = lang and g_mentee and g_mentor and reach and m_reach and keep
            # The fit is only worked out for the pairs a change or an extra place could use.
            need = ready and (
                (allowed and full[jo])
                or (lang and g_mentee and wants_travel and both and not reach)
                or (reach and lang and not g_mentee and (try_genders[i] >> b_gown[j]) & 1 != 0)
                or (reach and nl and g_mentee and not lang)
            )
            fit = 0
            gain = 0
            works = False
            if need:
                for w in range(n_words):
                    p = a_pts[i, w]
                    if p != 0:
                        fit += p * popcount(a_bits[i, w] & b_bits[j, w])
                if both and dist_pts > 0.0 and c2 < scale2:
                    fit += _distance_points(c2, radius, scale, dist_pts, coeffs)
                gain = base + fit - high[jo]
                works = gain >= big if strict else gain > 0
            if lang:
                f |= 1
                if g_mentee:
                    f |= 2
                    if g_mentor:
                        f |= 4
                        if reach:
                            f |= 8
                            if m_reach:
                                f |= 16
            if allowed:
                if n_allowed < SHOWN:
                    shown[r, n_allowed] = jo
                n_allowed += 1
                if full[jo]:
                    if fit > extra_fit:
                        extra_fit = fit
                        extra_j = jo
                else:
                    n_free += 1
            elif lang and g_mentee and g_mentor and reach and m_reach:
                if n_banned < SHOWN:
                    shown[r, SHOWN + n_banned] = jo
                n_banned += 1
            if not need:
                continue
            if wants_travel and lang and g_mentee and both and works and not reach:
                d = _great_circle(c2, radius, coeffs)
                if d < best_d:
                    best_d = d
                    best_c2 = c2
                    near_j = jo
            if not reach:
                continue
            if lang and not g_mentee and (try_genders[i] >> b_gown[j]) & 1:
                gain_g = gain + gender_pts
                if (gain_g >= big) if strict else (gain_g > 0):
                    g_ok |= 1 << b_gown[j]
            if nl and g_mentee and not lang:
                lang_pts = 0
                for w in range(n_la):
                    lang_pts += la_pts[i] * popcount(la_bits[i, w] & lb_bits[jo, w])
                gain_l = gain - lang_pts
                if (gain_l >= big) if strict else (gain_l > 0):
                    f |= 32
        flags[r] = f
        genders[r] = g_ok
        counts[r, 0] = n_allowed
        counts[r, 1] = n_free
        counts[r, 2] = n_banned
        picks[r, 0] = near_j
        picks[r, 1] = extra_j
        travel[r, 0] = best_d
        travel[r, 1] = best_c2
