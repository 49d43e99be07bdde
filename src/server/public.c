/*
 * public.c — the household query's own listener (`pinggu serve --public-query`, issue 15,
 * seed 003): a separate libmicrohttpd daemon that serves one zh-CN form and its answer, and
 * nothing else — no sessions, no cookies, no JSON API, no other route.
 *
 *   GET  /  or /query   the form (resident ID and the query code on the notice card)
 *   POST /query         application/x-www-form-urlencoded id=…&code=… → the answer page
 *
 * Every decision comes from the registry stage (registry_hq_check: rate limits per address
 * and per ID, the same work and the same log row for every refusal; registry_hq_show: the
 * fields a household may see). Every refusal — wrong code, unknown ID, a limit reached —
 * gets the one page below, byte for byte, so nothing tells which part was wrong. The
 * listener reads the registry and writes only its query log.
 */
#include "server_int.h"
#include "../registry/registry.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PQ_MAX_BODY 2048

struct pq {
    const struct server_config *cfg;
    struct store_pool pool;
};

static struct store *thread_store(struct pq *q, struct error *e)
{
    return store_pool_get(&q->pool, e);
}

/* ------------------------------------------------------------------ pages */

static const char head[] =
    "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>贫困户信息查询 / Household query</title><style>"
    "body{font-family:sans-serif;max-width:36em;margin:1em auto;padding:0 1em;line-height:1.6}"
    "label{display:block;margin-top:.8em}input{font-size:1.1em;width:100%;box-sizing:border-box}"
    "button{margin-top:1em;font-size:1.1em;padding:.3em 1.5em}table{border-collapse:collapse}"
    "td,th{border:1px solid #999;padding:.2em .5em;text-align:left}.en{color:#555;font-size:.9em}"
    "</style></head><body>\n<h1>贫困户信息查询 <span class=\"en\">Household query</span></h1>\n";
static const char tail[] = "</body></html>\n";

static const char form_body[] =
    "<p>请输入家庭成员的身份证号和明白卡上的10位查询码。可查询本户的户类别、脱贫年份和帮扶措施。"
    "<br><span class=\"en\">Enter a household member's resident ID and the 10-digit query code "
    "printed on your notice card: your household's category, exit year and assistance "
    "measures.</span></p>\n"
    "<form method=\"post\" action=\"/query\" autocomplete=\"off\">"
    "<label for=\"id\">身份证号 <span class=\"en\">Resident ID</span></label>"
    "<input id=\"id\" name=\"id\" maxlength=\"18\" required inputmode=\"text\">"
    "<label for=\"code\">查询码 <span class=\"en\">Query code</span></label>"
    "<input id=\"code\" name=\"code\" maxlength=\"13\" required inputmode=\"numeric\">"
    "<button type=\"submit\">查询 / Look up</button></form>\n"
    "<p class=\"en\">查询次数有限制（每个身份证号每天5次，每个网络地址每小时20次）。查询码请妥善保管。"
    "对信息有异议的，请向村委会或乡镇扶贫工作站反映。 Queries are limited; keep your code private; "
    "raise any disagreement with your village committee or township poverty office.</p>\n";

/* the one answer for every refusal */
static const char refused_body[] =
    "<p><strong>未能查询。</strong>身份证号与查询码不匹配，或查询次数过多。请核对后再试，或稍后再试；"
    "如有疑问请联系村委会或乡镇扶贫工作站。<br><span class=\"en\">No result: the resident ID and "
    "query code do not match, or too many queries were made. Check them and try again later, or "
    "ask your village committee or township poverty office.</span></p>\n"
    "<p><a href=\"/\">返回 / Back</a></p>\n";

static void answer_page(struct strbuf *sb, const struct hq_answer *a)
{
    sb_adds(sb, "<table>\n<tr><th>户编号 <span class=\"en\">Household</span></th><td>");
    sb_add_html(sb, a->household_id);
    sb_adds(sb, "</td></tr>\n<tr><th>所在地 <span class=\"en\">Place</span></th><td>");
    sb_add_html(sb, a->county);
    sb_adds(sb, " ");
    sb_add_html(sb, a->township);
    sb_adds(sb, " ");
    sb_add_html(sb, a->village);
    sb_adds(sb, "</td></tr>\n<tr><th>户类别 <span class=\"en\">Category</span></th><td>");
    sb_add_html(sb, a->category_zh);
    sb_adds(sb, " <span class=\"en\">");
    sb_add_html(sb, a->category_en);
    sb_adds(sb, "</span></td></tr>\n");
    if (a->identified_year)
        sb_addf(sb, "<tr><th>识别年份 <span class=\"en\">Identified</span></th><td>%d年</td></tr>\n",
                a->identified_year);
    sb_adds(sb, "<tr><th>脱贫年份 <span class=\"en\">Exit year</span></th><td>");
    if (a->exit_year) sb_addf(sb, "%d年", a->exit_year);
    else sb_adds(sb, "尚未脱贫 <span class=\"en\">not exited</span>");
    sb_adds(sb, "</td></tr>\n</table>\n<h2>帮扶措施 <span class=\"en\">Assistance measures</span></h2>\n<ul>\n");
    sb_addf(sb, "<li>易地扶贫搬迁 <span class=\"en\">relocation</span>：%s</li>\n",
            a->relocated ? "已搬迁安置 <span class=\"en\">relocated</span>" : "无 <span class=\"en\">none</span>");
    sb_addf(sb, "<li>基本医疗保险 <span class=\"en\">basic medical insurance</span>：%d/%d人参保</li>\n",
            a->medical, a->members);
    sb_addf(sb, "<li>大病保险 <span class=\"en\">serious-illness insurance</span>：%d/%d人</li>\n",
            a->illness_ins, a->members);
    sb_addf(sb, "<li>基本养老保险 <span class=\"en\">basic pension insurance</span>：%d/%d人</li>\n",
            a->pension, a->members);
    sb_addf(sb, "<li>在校就读（教育资助对象）<span class=\"en\">in school (education support)</span>：%d人</li>\n",
            a->in_school);
    sb_adds(sb, "</ul>\n");
    if (a->nprojects) {
        sb_adds(sb, "<h2>本村扶贫项目 <span class=\"en\">Projects in the village</span></h2>\n"
                    "<table><tr><th>项目</th><th>类型</th><th>年份</th><th>进度</th></tr>\n");
        for (size_t i = 0; i < a->nprojects; i++) {
            sb_adds(sb, "<tr><td>");
            sb_add_html(sb, a->projects[i].name);
            sb_adds(sb, "</td><td>");
            sb_add_html(sb, a->projects[i].kind);
            sb_addf(sb, "</td><td>%d</td><td>", a->projects[i].year);
            sb_add_html(sb, a->projects[i].status);
            sb_adds(sb, "</td></tr>\n");
        }
        sb_adds(sb, "</table>\n");
    }
    sb_adds(sb, "<p>对以上信息有异议的，请向村委会或乡镇扶贫工作站反映。"
                "<span class=\"en\">If anything here is wrong, tell your village committee or "
                "township poverty office.</span></p>\n<p><a href=\"/\">返回 / Back</a></p>\n");
}

static enum MHD_Result send_page(struct MHD_Connection *conn, unsigned status, const char *body)
{
    struct strbuf sb = STRBUF_INIT;
    struct MHD_Response *r;
    enum MHD_Result ret;
    sb_adds(&sb, head);
    sb_adds(&sb, body);
    sb_adds(&sb, tail);
    if (sb_ok(&sb)) {
        sb_release(&sb);
        return MHD_NO;
    }
    r = MHD_create_response_from_buffer(sb.len, sb.buf, MHD_RESPMEM_MUST_COPY);
    sb_release(&sb);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                            "frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* ------------------------------------------------------------------ the form's body */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

void server_form_value(const char *body, size_t len, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name), i = 0;
    out[0] = '\0';
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&') end++;
        if (end - i > nl && !memcmp(body + i, name, nl) && body[i + nl] == '=') {
            size_t o = 0;
            for (size_t k = i + nl + 1; k < end && o + 1 < size; k++) {
                char c = body[k];
                if (c == '+') c = ' ';
                else if (c == '%' && k + 2 < end && hexval(body[k + 1]) >= 0 &&
                         hexval(body[k + 2]) >= 0) {
                    c = (char)(hexval(body[k + 1]) * 16 + hexval(body[k + 2]));
                    k += 2;
                }
                out[o++] = c;
            }
            out[o] = '\0';
            return;
        }
        i = end + 1;
    }
}

/* ------------------------------------------------------------------ requests */

struct preq {
    struct strbuf body;
    int over;
};

static enum MHD_Result query(struct pq *q, struct MHD_Connection *conn, struct preq *rq)
{
    char addr[64], id[64], code[32];
    struct hq_check chk;
    struct hq_answer a;
    struct error e;
    struct store *s = thread_store(q, &e);
    struct strbuf sb = STRBUF_INIT;
    enum MHD_Result ret;
    if (!s) {
        fprintf(stderr, "pinggu serve: %s\n", e.msg);
        return send_page(conn, 503, "<p>服务暂不可用 / unavailable</p>\n");
    }
    server_conn_addr(conn, q->cfg->trusted_proxy, addr, sizeof addr);
    server_form_value(rq->body.buf, rq->body.len, "id", id, sizeof id);
    server_form_value(rq->body.buf, rq->body.len, "code", code, sizeof code);
    if (registry_hq_check(s, addr, id, code, access_now(), &chk, &e)) {
        fprintf(stderr, "pinggu serve: household query: %s\n", e.msg);
        return send_page(conn, 503, "<p>服务暂不可用 / unavailable</p>\n");
    }
    memset(id, 0, sizeof id);
    if (!chk.ok) return send_page(conn, 200, refused_body);
    if (registry_hq_show(s, chk.household_id, &a, &e)) {
        fprintf(stderr, "pinggu serve: household query: %s\n", e.msg);
        return send_page(conn, 200, refused_body);
    }
    answer_page(&sb, &a);
    ret = sb_ok(&sb) ? MHD_NO : send_page(conn, 200, sb.buf);
    sb_release(&sb);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct pq *q = cls;
    struct preq *rq = *con_cls;
    int is_form = !strcmp(url, "/") || !strcmp(url, "/query");
    (void)version;
    if (!rq) {
        rq = mem_calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        sb_init(&rq->body);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (rq->over || rq->body.len + *upload_size > PQ_MAX_BODY) rq->over = 1;
        else sb_add(&rq->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (!is_form) return send_page(conn, 404, "<p>未找到 / not found</p>\n");
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) return send_page(conn, 200, form_body);
    if (strcmp(method, "POST") || strcmp(url, "/query"))
        return send_page(conn, 405, "<p>不支持的请求方法 / method not allowed</p>\n");
    if (rq->over || sb_ok(&rq->body)) return send_page(conn, 413, "<p>请求过大 / too large</p>\n");
    return query(q, conn, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct preq *rq = *con_cls;
    (void)cls, (void)conn, (void)toe;
    if (!rq) return;
    sb_release(&rq->body);
    mem_free(rq);
    *con_cls = NULL;
}

int server_public_run(const struct server_config *cfg, FILE *ready, struct error *e)
{
    struct pq q;
    struct sockaddr_in sa;
    struct MHD_Daemon *d = NULL;
    struct store *main_store = NULL;
    sigset_t set;
    char host[64];
    const char *colon = strrchr(cfg->listen, ':');
    long port;
    char *end;
    int rc = 0;
    memset(&q, 0, sizeof q);
    q.cfg = cfg;
    store_pool_init(&q.pool, cfg->db);
    memset(&sa, 0, sizeof sa);
    if (!colon || (size_t)(colon - cfg->listen) >= sizeof host) {
        rc = error_set(e, ERR_INVALID, "--listen '%s': expected ADDRESS:PORT", cfg->listen);
        goto out;
    }
    memcpy(host, cfg->listen, (size_t)(colon - cfg->listen));
    host[colon - cfg->listen] = '\0';
    port = strtol(colon + 1, &end, 10);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)(port > 0 && port < 65536 ? port : 0));
    if (*end || port < 1 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        rc = error_set(e, ERR_INVALID, "--listen '%s': expected IPv4-ADDRESS:PORT", cfg->listen);
        goto out;
    }
    /* the store must open (and migrate) before anyone connects */
    if ((rc = store_open(cfg->db, 0, &main_store, e))) goto out;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_EPOLL, 0,
                         NULL, NULL, handler, &q, MHD_OPTION_SOCK_ADDR, &sa,
                         MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 2u,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                         /* behind a proxy every connection comes from its address */
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->trusted_proxy ? 0u : 8u,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
                         MHD_OPTION_NOTIFY_COMPLETED, completed, &q, MHD_OPTION_END);
    if (!d) {
        rc = error_set(e, ERR_IO, "cannot listen on %s (in use?)", cfg->listen);
        goto out;
    }
    if (ready) {
        fprintf(ready, "listening on %s (household query only)\n", cfg->listen);
        fflush(ready);
    }
    for (;;) {
        struct timespec ts = {1, 0};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM) break;
    }
    MHD_stop_daemon(d);
out:
    store_pool_close(&q.pool);
    store_close(main_store);
    return rc;
}
