// monitor.js — the between-rounds pages (issue 15 on the pages, docs/pages.md, docs/monitoring.md):
// the round's schedule against the plan's milestones (日程), post-exit monitoring of exited
// counties (摘帽县监测), work-team attendance (驻村考勤) and the monthly ranking bulletin (月度通报).
// app.js merges these views into its own: Object.assign(views, monitorViews({ ... })), passing
// its helpers in (api, el, bi, table, state) so that this file imports nothing from it.
//
// Invariants: no rule here — every state, flag, band, threshold and reason is the API's
// (src/server/monitor.c over src/monitor/); the page only shows them (a boolean as 是/否).
// Downloads (XLSX, CSV) are files the server makes with the library from the rows the user may
// see; the bulletin's sheet is sent to the server, which ranks it (nothing ranked here).
import './monitor.css';

export function monitorViews({ api, el, bi, table, state }) {
  const enc = encodeURIComponent;
  const yn = (v) => (v ? '是 yes' : '否 no');
  const pct = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '—');
  const num = (x) => (x === -1 || x === null || x === undefined ? '—' : x);
  const section = (id, zh, en, ...parts) => el('section', { id }, el('h2', {}, bi(zh, en)), ...parts);
  // the server's files, asked with the page's own query (and the session's cookie)
  const links = (path, name) => el('div', { class: 'downloads' }, '下载 / download: ',
    el('a', { href: `${path}&format=xlsx`, download: '', 'data-download': `${name}.xlsx` }, 'Excel (XLSX)'),
    el('a', { href: `${path}&format=csv`, download: '', 'data-download': `${name}.csv` }, 'CSV'));
  // a small form of one query value that reloads the view with it
  const chooser = (id, label, value, placeholder, view) => {
    const input = el('input', { id, value: value || '', placeholder, 'aria-label': label });
    const f = el('form', { class: 'inline no-print', id: `${id}-form` }, el('label', { for: id }, label, ' '), input,
      el('button', { type: 'submit' }, '查看 / Show'));
    f.addEventListener('submit', (ev) => { ev.preventDefault(); location.hash = `#/${view}?${id}=${enc(input.value.trim())}`; });
    return f;
  };

  return {
    // ---------------------------------------------------------------- 日程 / schedule
    async schedule(params, render) {
      const date = params.get('date') || '';
      const d = await api('GET', `/api/rounds/${enc(state.round)}/schedule${date ? `?date=${enc(date)}` : ''}`);
      const path = `/api/rounds/${enc(state.round)}/schedule?date=${enc(d.date)}`;
      render(el('h1', {}, bi(`日程 ${d.round}`, 'Schedule against the plan\'s milestones')),
        el('p', {}, `截至 ${d.date}：节点期限按工作日历（节假日、调休）计算，同 pinggu round status。 / As of ${d.date}, in working days, as pinggu round status computes it.`),
        chooser('date', '日期 / date (YYYY-MM-DD)', date, d.date, 'schedule'),
        el('p', { id: 'late-count', class: d.late ? 'bad' : 'ok' }, `逾期或逾期完成 ${d.late} 项 / ${d.late} late or overdue`),
        links(path, `round-${d.round}`),
        el('section', { id: 'milestones' }, ...table(d.milestones, [
          ['id', '节点', 'milestone'], ['name', '名称', 'name'],
          ['by', '期限', 'deadline', (m) => `${m.from ? `${m.from} – ` : ''}${m.by}${m.rest_day ? '（休息日 rest day）' : ''}`],
          ['state_name', '状态', 'state', (m) => el('span', { class: `ms ${m.state}${m.late ? ' late' : ''}`, 'data-state': m.state }, m.state_name)],
          ['done', '完成', 'done', (m) => (m.done ? `${m.done}（${m.done_from === 'log' ? '变更日志 log' : '登记 file'}）` : '')],
          ['working_days', '工作日', 'working days', (m) => ({ late: `逾期 ${m.working_days} 天 late`, overdue: `已逾期 ${m.working_days} 天 overdue`, open: `尚余 ${m.working_days} 天 due in`, not_started: `${m.working_days} 天后开始 starts in` }[m.state] || '')],
          ['seed', '依据', 'seed'],
        ])));
    },

    // ---------------------------------------------------------------- 摘帽县监测 / post-exit
    async postexit(params, render) {
      const year = params.get('year') || '';
      const county = params.get('county') || '';
      const q = `round=${enc(state.round)}${year ? `&year=${enc(year)}` : ''}${county ? `&county=${enc(county)}` : ''}`;
      const d = await api('GET', `/api/monitor/postexit?${q}`);
      const r = d.rules;
      const sign = (k) => (c) => el('span', { class: c.signs[k] ? 'flag on' : 'flag', 'data-sign': k }, yn(c.signs[k]));
      render(el('h1', {}, bi(`脱贫摘帽县监测 ${d.year}`, 'Post-exit monitoring')),
        el('p', {}, `比较的快照 / snapshots: ${[d.snapshots.now, d.snapshots.prev, d.snapshots.prev2].filter(Boolean).join('，')}。同 pinggu monitor。`),
        el('p', { class: 'rules' }, `规则（rules/monitor.json）：减贫率低于上年的 ${r.slowing_ratio} 倍且年初剩余不少于 ${r.slowing_min_remaining} 人为放缓；`
          + `完成低于计划的 ${r.target_min_share} 倍为未完成；收入下降户占比达 ${pct(r.income_max_share)} 为收入下降；培训少于上年 ${r.training_drop_ratio} 倍或全年无培训、`
          + `驻村队员调离达 ${pct(r.reassigned_share)} 为懈怠；${r.interview_min_signs} 个信号或懈怠即约谈。`),
        chooser('year', '年度 / year', year, String(d.year), 'postexit'),
        links(`/api/monitor/postexit?${q}`, `monitor-${d.year}`),
        section('interviews', '约谈的县', 'Counties that warrant an interview (约谈)', ...table(d.interviews, [
          ['county', '县代码', 'county'], ['name', '县', 'name'], ['nsigns', '信号数', 'signs'], ['evidence', '依据', 'evidence'],
        ])),
        section('counties', '每个摘帽县的四个信号', 'The four signs of every exited county', ...table(d.counties, [
          ['county', '县代码', 'county'], ['name', '县', 'name'], ['exit_year', '摘帽年', 'exit'],
          ['remaining', '剩余贫困人口 Y-2/Y-1/Y', 'remaining poor', (c) => `${num(c.remaining_y2)} / ${num(c.remaining_y1)} / ${num(c.remaining_y)}`],
          ['rates', '减贫率 上年/本年', 'reduction rate', (c) => `${pct(c.rate_prev)} / ${pct(c.rate_now)}`],
          ['slowing', '一 减贫放缓', '1 slowing', sign('slowing')],
          ['target', '计划/完成', 'planned / achieved', (c) => `${num(c.planned)} / ${c.achieved}`],
          ['target_missed', '二 未完成', '2 target missed', sign('target_missed')],
          ['income', '收入下降户/比较户', 'fell / compared', (c) => `${c.income_fell} / ${c.income_compared}（${pct(c.income_share)}）`],
          ['income_falling', '收入下降', 'incomes falling', sign('income_falling')],
          ['training', '培训 上年/本年', 'training', (c) => `${num(c.training_prev)} / ${num(c.training_now)}`],
          ['team', '驻村队员 在岗/调离', 'team / moved', (c) => `${c.team_base} / ${c.team_moved}`],
          ['slackening', '三四 懈怠', '3-4 slackening', sign('slackening')],
          ['nsigns', '信号数', 'signs'],
          ['interview', '约谈', 'interview', (c) => el('span', { class: c.interview ? 'flag on' : 'flag', 'data-interview': String(c.interview) }, yn(c.interview))],
        ])),
        section('incomes', '收入不增反降的脱贫户', 'Exited households whose income fell', ...table(d.incomes_fell, [
          ['county', '县代码', 'county'], ['household', '户编号', 'household'], ['exit_year', '脱贫年', 'exit'],
          ['before', '上年人均收入', 'before', (h) => h.before.toFixed(2)], ['after', '本年人均收入', 'after', (h) => h.after.toFixed(2)],
        ])),
        section('transition', `过渡期（${r.transition_years} 年）内停止帮扶`, 'Support stopped within the transition (seed 003)', ...table(d.transition, [
          ['county', '县代码', 'county'], ['household', '户编号', 'household'], ['exit_year', '脱贫年', 'exit'], ['why', '停止的帮扶', 'support stopped'],
        ])),
        section('villages', `贫困人口 ${r.work_team_min_poor} 人以上的非贫困村未派驻村工作队`, 'Non-poor villages without a work team (seed 001)', ...table(d.villages_without_team, [
          ['village', '村代码', 'village'], ['name', '村', 'name'], ['poor', '贫困人口', 'poor persons'],
        ])));
    },

    // ---------------------------------------------------------------- 驻村考勤 / attendance
    async attendance(params, render) {
      const month = params.get('month') || '';
      const head = el('h1', {}, bi('驻村工作队考勤', 'Work-team attendance'));
      const pick = chooser('month', '月份 / month (YYYY-MM)', month, '2019-11', 'attendance');
      if (!month) { // the server still decides whether this page is the user's (its refusal is shown)
        const r0 = (await api('GET', `/api/monitor/attendance?round=${enc(state.round)}`)).rules;
        return render(head, el('p', {}, `每月驻村不少于 ${r0.min_days} 天。请选择月份。 / At least ${r0.min_days} days a month; choose a month.`), pick);
      }
      const county = params.get('county') || '';
      const q = `round=${enc(state.round)}&month=${enc(month)}${county ? `&county=${enc(county)}` : ''}`;
      const d = await api('GET', `/api/monitor/attendance?${q}`);
      const r = d.rules;
      const hm = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      render(head,
        el('p', {}, `${d.month}：村内 ${hm(r.morning_end)} 前与 ${hm(r.evening_start)} 后各有一次打卡计驻村一天；不少于 ${r.min_days} 天。`
          + `白天来访 ${r.day_visit_days} 天及以上为走读。同 pinggu attendance summary。 / As pinggu attendance summary computes it.`),
        el('p', {}, `整月在册的队员 ${d.members.length} 名；月内到岗或离岗未考核 ${d.part_month} 名。 / ${d.members.length} assessed, ${d.part_month} part-month.`),
        pick, links(`/api/monitor/attendance?${q}`, `attendance-${d.month}`),
        section('by-county', '各县汇总', 'By county', ...table(d.counties, [
          ['county', '县代码', 'county'], ['assessed', '考核队员', 'assessed'], ['under', `不足 ${r.min_days} 天`, 'under the days'],
          ['ghost', '挂虚名', 'never present'], ['day_visitor', '走读', 'day visits'], ['movement', '轨迹异常', 'impossible movement'],
        ])),
        section('recall', '召回名单（按县）', 'Recall list by county', ...table(d.recall, [
          ['county', '县代码', 'county'], ['village', '村代码', 'village'], ['village_name', '村', 'village name'],
          ['member', '队员编号', 'member'], ['name', '姓名', 'name'], ['days', '驻村天数', 'days'], ['reason', '原因', 'reason'],
        ])),
        section('members', '每名队员', 'Every member', ...table(d.members, [
          ['county', '县代码', 'county'], ['village_name', '村', 'village'], ['member', '队员编号', 'member'], ['name', '姓名', 'name'],
          ['days', '驻村天数', 'days'], ['visit_days', '白天来访', 'day visits'], ['checkins', '打卡', 'check-ins'],
          ['jumps', '轨迹异常', 'jumps'], ['signs', '问题', 'signs'],
        ])),
        section('movement', '轨迹异常（待核实）', 'Impossible movement (to check)', ...table(d.movement, [
          ['county', '县代码', 'county'], ['member', '队员编号', 'member'], ['name', '姓名', 'name'], ['first_at', '首次时间', 'first at'],
          ['km', '距离 km', 'km', (j) => j.km.toFixed(1)], ['kmh', '速度 km/h', 'km/h', (j) => (j.kmh === null ? '同一时刻 same instant' : j.kmh.toFixed(0))],
          ['count', '次数', 'count'],
        ])));
    },

    // ---------------------------------------------------------------- 月度通报 / bulletin
    async bulletin(params, render) {
      const rule = (await api('GET', `/api/monitor/bulletin?round=${enc(state.round)}`)).rules;
      const out = el('div', { id: 'bulletin-out' });
      const month = el('input', { id: 'b-month', placeholder: '2019-11', value: params.get('month') || '' });
      const file = el('input', { id: 'b-sheet', type: 'file', accept: '.csv,text/csv' });
      const msg = el('div');
      // the sheet goes to the server, which ranks it with the library; XLSX and CSV come back as files
      const send = async (format) => {
        const body = await file.files[0].arrayBuffer();
        const url = `/api/monitor/bulletin?round=${enc(state.round)}&month=${enc(month.value.trim())}${format ? `&format=${format}` : ''}`;
        const r = await fetch(url, { method: 'POST', credentials: 'same-origin', body, headers: { 'X-CSRF-Token': state.csrf, 'Content-Type': 'text/csv' } });
        if (!r.ok) {
          const e = (await r.json().catch(() => null))?.error || {};
          throw Object.assign(new Error(e.message_en || `HTTP ${r.status}`), { zh: e.message_zh || '未完成' });
        }
        return format ? r.blob() : r.json();
      };
      const save = async (format) => {
        try {
          const blob = await send(format);
          const a = el('a', { href: URL.createObjectURL(blob), download: `bulletin-${month.value.trim()}.${format}` });
          document.body.append(a);
          a.click();
          a.remove();
        } catch (err) {
          msg.replaceChildren(el('div', { class: 'msg bad', role: 'status' }, err.zh, ' / ', err.message));
        }
      };
      const kinds = [['city', '各市（区）', 'Cities and districts'], ['department', '省直责任部门', 'Provincial departments']];
      const f = el('form', { class: 'box no-print', id: 'bulletin-form' },
        el('label', { for: 'b-month' }, '月份 / month (YYYY-MM)'), month,
        el('label', { for: 'b-sheet' }, '月度得分表（CSV：month, unit, kind, score） / the score sheet'), file,
        el('button', { type: 'submit' }, '排名 / Rank'), msg);
      f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (!file.files[0]) { msg.replaceChildren(el('div', { class: 'msg bad', role: 'status' }, '请选择得分表', ' / ', 'choose the sheet')); return; }
        try {
          const d = await send('');
          msg.replaceChildren();
          out.replaceChildren(
            el('h2', { class: 'print-title' }, `脱贫攻坚工作月度排名通报 ${d.month}`),
            el('p', {}, `陕西：每个月对各市（区）和省直责任部门扶贫工作进行排名通报，排出好中差，倒数第一的主要领导表态发言。等次：前 ${pct(d.rules.good_share)} 为好，后 ${pct(d.rules.poor_share)} 为差（rules/monitor.json）。`),
            el('div', { class: 'downloads no-print' }, '下载 / download: ',
              el('button', { type: 'button', id: 'b-xlsx', onclick: () => save('xlsx') }, 'Excel (XLSX)'),
              el('button', { type: 'button', id: 'b-csv', onclick: () => save('csv') }, 'CSV'),
              el('button', { type: 'button', id: 'b-print', onclick: () => window.print() }, '打印 / Print')),
            ...kinds.map(([k, zh, en]) => section(`kind-${k}`, zh, en, ...table(d.units.filter((u) => u.kind === k), [
              ['rank', '名次', 'rank', (u) => `${u.rank}/${u.n}`], ['unit', '单位', 'unit'], ['score', '得分', 'score'],
              ['band', '等次', 'band', (u) => el('span', { class: 'band', 'data-band': u.band }, u.band)],
              ['prev_rank', '上月', 'last month', (u) => (u.prev_rank === null ? '—' : u.prev_rank)],
              ['movement', '升降', 'movement', (u) => (u.movement === null ? '新 new' : u.movement > 0 ? `↑${u.movement}` : u.movement < 0 ? `↓${-u.movement}` : '=')],
              ['last', '表态发言', 'statement', (u) => (u.last ? el('strong', { class: 'statement' }, '倒数第一 表态发言') : '')],
              ['last_run', '连续倒数第一', 'months last', (u) => (u.last ? `${u.last_run} 个月 months` : '')],
            ]))));
        } catch (err) {
          msg.replaceChildren(el('div', { class: 'msg bad', role: 'status' }, err.zh || '未完成', ' / ', err.message));
        }
      });
      render(el('h1', { class: 'no-print' }, bi('月度排名通报', 'Monthly ranking bulletin')),
        el('p', { class: 'no-print' }, `得分表由省扶贫办提供，服务端按规则排名、分等（同 pinggu bulletin），不保存。前 ${pct(rule.good_share)} 为好，后 ${pct(rule.poor_share)} 为差。 / The server ranks the sheet as pinggu bulletin does; nothing is stored.`),
        f, out);
    },
  };
}
