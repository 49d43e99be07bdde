/*
 * svg.c — interval charts as inline SVG (report.h report_chart_svg): for each row, the point
 * estimate as a dot, its 95% interval as a bar, the threshold as a vertical line, and the
 * interval's verdict in words at the right.
 *
 * Why this picture: the official verdict compares the dot with the line; the interval verdict
 * compares the bar with it. A bar that crosses the line is "too close to call" (难以判定) — it
 * is drawn amber with a dashed outline, so it stays visible in black-and-white print — and a
 * reader sees at once why a county with a dot on the right side of the line is not clearly
 * within the standard.
 *
 * The axis is in percent and chosen to show every bar, dot and threshold: from 0 for rates,
 * or, when everything lies above 50% (approval), from a round value below the lowest. The
 * SVG has a viewBox and no fixed height in CSS, so it scales to the page (A4 print); it uses
 * no xmlns (HTML5 inline SVG does not need one), no font file, no external reference.
 */
#include "report_int.h"

#include <math.h>
#include <string.h>

enum { W = 680, LW = 150, VW = 96, RH = 26, TOP = 26, AXIS = 40 };

static double nice_step(double range)
{
    double raw = range / 5, mag, f;
    if (!(raw > 0)) return 0.01;
    mag = pow(10, floor(log10(raw)));
    f = raw / mag;
    return mag * (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10);
}

static void consider(double v, double *lo, double *hi)
{
    if (!isfinite(v)) return;
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
}

static const char *fill_of(enum interval_verdict v)
{
    return v == IV_WITHIN    ? "#2e7d32"
           : v == IV_OUTSIDE ? "#c62828"
           : v == IV_CLOSE   ? "#f9a825"
                             : "#757575";
}

void report_chart_svg(struct strbuf *sb, const char *title, const struct report_bar *rows, size_t n)
{
    double lo = INFINITY, hi = -INFINITY, amin, amax, step;
    int x0 = LW + 8, x1 = W - VW - 8, h = TOP + (int)n * RH + AXIS;
    char num[32];
#define X(v) (x0 + (fmin(fmax((v), amin), amax) - amin) / (amax - amin) * (x1 - x0))
    for (size_t i = 0; i < n; i++) {
        if (rows[i].valid) {
            consider(rows[i].estimate, &lo, &hi);
            consider(rows[i].lower, &lo, &hi);
            consider(rows[i].upper, &lo, &hi);
        }
        if (rows[i].has_threshold) consider(rows[i].threshold, &lo, &hi);
    }
    if (!isfinite(lo)) lo = 0, hi = 0.05;
    if (lo >= 0.5) { /* approval: zoom in, keep 100% */
        step = nice_step(fmax(hi, lo + 0.02) - lo + 0.02);
        amin = floor((lo - 0.01) / step) * step;
        amax = fmin(1, ceil((hi + 0.005) / step) * step);
        if (amax <= amin) amax = amin + step;
    } else {
        amin = 0;
        if (hi < 0.01) hi = 0.01;
        step = nice_step(hi * 1.08);
        amax = ceil(hi * 1.08 / step) * step;
    }
    sb_addf(sb,
            "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "font-size=\"12\">",
            W, h, W, h);
    sb_adds(sb, "<title>");
    sb_add_html(sb, title ? title : "");
    sb_adds(sb, "</title>");
    if (title) {
        sb_addf(sb, "<text x=\"%d\" y=\"16\" font-weight=\"bold\">", 4);
        sb_add_html(sb, title);
        sb_adds(sb, "</text>");
    }
    /* grid and axis */
    for (double t = amin; t <= amax + step / 1000; t += step) {
        double x = X(t);
        rpt_num(100 * t, 2, num, sizeof num);
        sb_addf(sb,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#444\">%s%%</text>",
                x, TOP - 4, x, TOP + (int)n * RH, x, TOP + (int)n * RH + 14, num);
    }
    sb_addf(sb, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>", x0,
            TOP + (int)n * RH, x1, TOP + (int)n * RH);
    for (size_t i = 0; i < n; i++) {
        const struct report_bar *b = &rows[i];
        int y = TOP + (int)i * RH;
        const char *fill = fill_of(b->verdict);
        /* label */
        sb_addf(sb, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LW, y + 17);
        if (b->href) {
            sb_adds(sb, "<a href=\"");
            sb_add_html(sb, b->href);
            sb_adds(sb, "\">");
        }
        sb_add_html(sb, b->label ? b->label : "");
        if (b->href) sb_adds(sb, "</a>");
        sb_adds(sb, "</text>");
        /* interval bar */
        if (b->valid && isfinite(b->lower) && isfinite(b->upper)) {
            double xa = X(b->lower), xb = X(b->upper);
            if (xb - xa < 2) xa -= 1, xb += 1;
            sb_addf(sb,
                    "<rect class=\"iv%d\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"10\" "
                    "fill=\"%s\" fill-opacity=\"0.45\" stroke=\"%s\"%s/>",
                    (int)b->verdict, xa, y + 8, xb - xa, fill, fill,
                    b->verdict == IV_CLOSE ? " stroke-dasharray=\"4 2\" stroke-width=\"1.5\"" : "");
        }
        /* threshold: one segment per row, so rows with the same threshold form a line */
        if (b->has_threshold)
            sb_addf(sb,
                    "<line class=\"threshold\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                    "stroke=\"#b71c1c\" stroke-width=\"2\"/>",
                    X(b->threshold), y + 1, X(b->threshold), y + RH - 1);
        /* point estimate */
        if (b->valid && isfinite(b->estimate))
            sb_addf(sb, "<circle class=\"estimate\" cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"#111\"/>",
                    X(b->estimate), y + 13);
        /* the interval's verdict in words */
        sb_addf(sb, "<text x=\"%d\" y=\"%d\" fill=\"%s\">", x1 + 10, y + 17,
                b->verdict == IV_CLOSE ? "#8d6e00" : fill);
        if (!b->valid)
            sb_adds(sb, "无数据");
        else if (!isfinite(b->lower) || !isfinite(b->upper))
            sb_adds(sb, "无区间");
        else if (b->has_threshold)
            sb_adds(sb, interval_verdict_zh(b->verdict));
        sb_adds(sb, "</text>");
    }
    /* legend */
    {
        int y = TOP + (int)n * RH + 32;
        sb_addf(sb,
                "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#111\"/>"
                "<text x=\"%d\" y=\"%d\">点估计</text>"
                "<rect x=\"%d\" y=\"%d\" width=\"24\" height=\"10\" fill=\"#757575\" "
                "fill-opacity=\"0.45\"/><text x=\"%d\" y=\"%d\">95%%区间</text>"
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#b71c1c\" "
                "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">标准</text>"
                "<rect x=\"%d\" y=\"%d\" width=\"24\" height=\"10\" fill=\"#f9a825\" "
                "fill-opacity=\"0.45\" stroke=\"#f9a825\" stroke-dasharray=\"4 2\"/>"
                "<text x=\"%d\" y=\"%d\">区间跨越标准：难以判定</text>",
                x0, y - 4, x0 + 8, y, x0 + 60, y - 9, x0 + 88, y, x0 + 160, y - 12, x0 + 160, y + 2,
                x0 + 168, y, x0 + 220, y - 9, x0 + 248, y);
    }
    sb_adds(sb, "</svg>");
#undef X
}
