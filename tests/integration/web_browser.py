#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Drive headless Chromium over --remote-debugging-pipe (the DevTools protocol,
NUL-separated JSON on fds 3/4: no websocket library, no network port) for
t_web.sh and t_web_big.sh.

    web_browser.py OUTDIR STEP URL [ARG...]

Each STEP loads URL in a fresh browser (fresh --user-data-dir), waits for the
page's body[data-ready], checks the DOM, prints "ok ..." / "FAIL ..." lines
and saves OUTDIR/STEP.png. Exit status 1 when a check failed.
"""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self):
        self.udd = tempfile.mkdtemp(prefix='quelltest-chromium-')
        r3, w3 = os.pipe()   # we write, chromium reads on fd 3
        r4, w4 = os.pipe()   # chromium writes on fd 4
        self.p = subprocess.Popen(
            ['chromium', '--headless', '--no-sandbox', '--disable-gpu',
             '--disable-background-networking', '--disable-component-update',
             '--no-first-run', '--disable-sync', '--disable-dev-shm-usage',
             '--user-data-dir=' + self.udd, '--remote-debugging-pipe',
             '--window-size=1280,900', 'about:blank'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.udd, 'stderr'), 'wb'), close_fds=False,
            preexec_fn=lambda: self._child_fds(r3, w4))
        os.close(r3)
        os.close(w4)
        self.w = os.fdopen(w3, 'wb', buffering=0)
        self.r = os.fdopen(r4, 'rb', buffering=0)
        self.buf = b''
        self.id = 0
        targets = self.call('Target.getTargets')['targetInfos']
        page = [t for t in targets if t['type'] == 'page'][0]
        self.session = self.call('Target.attachToTarget',
                                 {'targetId': page['targetId'], 'flatten': True})['sessionId']
        self.call('Page.enable', session=True)
        self.call('Runtime.enable', session=True)
        self.call('Emulation.setDeviceMetricsOverride',
                  {'width': 1280, 'height': 900, 'deviceScaleFactor': 1, 'mobile': False},
                  session=True)

    @staticmethod
    def _child_fds(r, w):
        # fds 3 and 4 are the protocol's. Through copies above 4: os.pipe() may
        # have returned 3 or 4 itself, and dup2(fd, fd) would keep O_CLOEXEC.
        r2, w2 = fcntl.fcntl(r, fcntl.F_DUPFD, 10), fcntl.fcntl(w, fcntl.F_DUPFD, 10)
        os.dup2(r2, 3)
        os.dup2(w2, 4)

    def _read(self):
        while b'\0' not in self.buf:
            chunk = self.r.read(1 << 20)
            if not chunk:
                raise RuntimeError('chromium closed the pipe')
            self.buf += chunk
        msg, self.buf = self.buf.split(b'\0', 1)
        return json.loads(msg)

    def call(self, method, params=None, session=False):
        self.id += 1
        m = {'id': self.id, 'method': method, 'params': params or {}}
        if session:
            m['sessionId'] = self.session
        self.w.write(json.dumps(m).encode() + b'\0')
        while True:
            r = self._read()
            if r.get('id') == self.id:
                if 'error' in r:
                    raise RuntimeError('%s: %s' % (method, r['error']))
                return r['result']

    def js(self, expr):
        r = self.call('Runtime.evaluate', {'expression': expr, 'returnByValue': True,
                                           'awaitPromise': True}, session=True)
        if 'exceptionDetails' in r:
            raise RuntimeError('js %s: %s' % (expr[:60], r['exceptionDetails']))
        return r['result'].get('value')

    def goto(self, url, timeout=20):
        t0 = time.monotonic()
        self.call('Page.navigate', {'url': url}, session=True)
        return self.wait('document.body && document.body.dataset.ready === "1"', timeout, t0)

    def wait(self, cond, timeout=20, t0=None):
        t0 = t0 or time.monotonic()
        while time.monotonic() - t0 < timeout:
            try:
                if self.js('!!(%s)' % cond):
                    return time.monotonic() - t0
            except RuntimeError:
                pass    # the page is between documents
            time.sleep(0.05)
        raise RuntimeError('timed out waiting for: ' + cond)

    def screenshot(self, path):
        data = self.call('Page.captureScreenshot', {'format': 'png', 'captureBeyondViewport': False},
                         session=True)['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))
        print('  screenshot: %s' % path)

    def close(self):
        try:
            self.call('Browser.close')
        except Exception:
            pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        shutil.rmtree(self.udd, ignore_errors=True)


FAILED = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        FAILED.append(what)


def rows(b):
    return b.js('[...document.querySelectorAll("#tenants .body .row")].map(r => r.dataset.name)')


def col(b, key):
    return b.js('[...document.querySelectorAll("#tenants .body .row > .%s")].map(td => td.textContent)' % key)


def step_admin(b, url, a, b_name):
    b.goto(url)
    b.wait('document.querySelectorAll("#tenants .body .row").length >= 2')
    names = rows(b)
    check(a in names and b_name in names, 'admin table lists %s and %s (%d rows)' % (a, b_name, len(names)))
    check(b.js('document.body.dataset.view') == 'admin', 'admin view')
    check(b.js('!!document.querySelector("#host b")'), 'host pressure shown')
    b.js('document.querySelector("#tenants .head [data-key=name]").click()')
    names = rows(b)
    check(names == sorted(names), 'sort by name (click): ascending %s' % names[:4])
    b.js('document.querySelector("#tenants .head [data-key=name]").click()')
    names = rows(b)
    check(names == sorted(names, reverse=True), 'sort by name again: descending')
    b.js('document.querySelector("#tenants .head [data-key=cpu]").click()')
    check(rows(b)[0] == a, 'sort by CPU: the busy tenant %s first (%s)' % (a, rows(b)[:3]))
    cpu = [float(x) if x != '-' else -1 for x in col(b, 'cpu')]
    check(cpu == sorted(cpu, reverse=True), 'CPU column descending %s' % cpu[:4])
    for k in ('inflicted', 'suffered', 'mem', 'io', 'state'):
        b.js('document.querySelector("#tenants .head [data-key=%s]").click()' % k)
        check(b.js('document.querySelector("#tenants .head .sorted").dataset.key') == k, 'sortable by ' + k)
    b.wait('document.querySelector("#actions table") !== null', 10)
    check(b.js('document.querySelector("#actions").textContent.includes("throttle")'),
          'recent actions show the manual throttle')
    # it refreshes itself: the "updated" stamp changes
    u0 = b.js('document.getElementById("updated").textContent')
    b.wait('document.getElementById("updated").textContent !== %s' % json.dumps(u0), 10)
    check(True, 'the table refreshed itself')


def step_tenant(b, url, a):
    b.goto(url)
    b.wait('document.querySelector("#tenant") || document.querySelector("#error")')
    check(b.js('document.querySelector("#tenant") && document.querySelector("#tenant").dataset.name') == a,
          'tenant page of ' + a)
    b.wait('[...document.querySelectorAll("#graphs img")].every(i => i.complete && i.naturalWidth > 0)'
           ' || document.querySelector("#graphs p")', 20)
    n = b.js('[...document.querySelectorAll("#graphs img")].filter(i => i.naturalWidth > 0).length')
    check(n >= 3, '%d graph PNGs drawn by librrd (1h)' % n)
    check(b.js('document.querySelector("#events") && document.querySelector("#events").textContent'
               '.includes("throttle")'), 'events with their evidence listed')
    b.js('[...document.querySelectorAll(".ranges button")].find(x => x.textContent === "30d").click()')
    b.wait('[...document.querySelectorAll("#graphs img")].length > 0 && '
           '[...document.querySelectorAll("#graphs img")].every(i => i.dataset.range === "30d" && '
           'i.complete && i.naturalWidth > 0)', 20)
    check(True, '30 d graphs drawn')


def step_customer(b, url, a, other):
    b.goto(url)
    check(b.js('document.body.dataset.view') == 'customer', 'customer view')
    check(b.js('document.querySelector("#usage") && document.querySelector("#usage").dataset.name') == a,
          'customer page of ' + a)
    text = b.js('document.getElementById("app").textContent')
    check(other not in text, 'nothing of %s on %s\'s page' % (other, a))
    story = b.js('document.querySelector("#story").textContent')
    check('slowed' in story and 'administrator' in story, 'the story: %s' % story[:160])
    b.wait('[...document.querySelectorAll("#graphs img")].every(i => i.complete && i.naturalWidth > 0)'
           ' || document.querySelector("#graphs p")', 20)
    # the words for a rule's evidence (pure function of the page)
    s = b.js('story([{time: 1764597720, tenant: "x", action: "apply", rule: "cpu-hog", '
             'limits_text: "cpu=50%", evidence: {metric: "cpu_pct", value: 200, above: 80, '
             'while: "suffered_sum", over_s: 30}}, {time: 1764597960, tenant: "x", '
             'action: "release", rule: "cpu-hog"}]).map(x => x.text).join("|")')
    check('slowed (limited to cpu=50%) for 4 minutes because it used 2.0 CPU cores for 30 seconds '
          'while other sites waited' in s, 'evidence in words: %s' % s)


def step_denied(b, url, a, other):
    b.goto(url)
    d = b.js('document.querySelector("#denied") && [document.querySelector("#denied").dataset.status,'
             ' document.querySelector("#denied").textContent]')
    check(bool(d) and d[0] == '403', 'a link of %s asking for %s: refused by the server (%s)' %
          (a, other, d))
    check(not b.js('!!document.querySelector("#usage, #tenant, #tenants")'), 'no data shown')


def step_forged(b, url):
    b.goto(url)
    check(b.js('!!document.querySelector("#error")') and
          'not valid' in b.js('document.querySelector("#error").textContent'),
          'a forged link is refused: %s' % b.js('document.querySelector("#error") && '
                                                'document.querySelector("#error").textContent'))


def step_big(b, url, n):
    t = b.goto(url, 60)
    b.wait('document.querySelectorAll("#tenants .body .row").length >= %d' % n, 60)
    got = b.js('document.querySelectorAll("#tenants .body .row").length')
    first = float(b.js('document.getElementById("tenants").dataset.firstRowsMs'))
    render = float(b.js('document.getElementById("tenants").dataset.renderMs'))
    check(got == n, '%d rows' % got)
    print('  navigation start to %d rows present: %.0f ms; one render of the table: %.1f ms'
          % (n, first, render))
    # re-sorting 1,000 rows, timed in the page (main thread blocked for that long)
    ms = b.js('(() => { const t0 = performance.now(); '
              'document.querySelector("#tenants .head [data-key=name]").click(); '
              'document.body.offsetHeight; return performance.now() - t0; })()')
    print('  sort by name (render + layout): %.1f ms, of which the script: %s ms'
          % (ms, b.js('document.getElementById("tenants").dataset.renderMs')))
    check(render < 500 and ms < 300, 'no freeze: first render %.1f ms, sort %.1f ms (< 500 / 300 ms)'
          % (render, ms))
    # the longest time the page did not answer a timer during 3 refreshes
    gap = b.js('new Promise(res => { let last = performance.now(), worst = 0; '
               'const iv = setInterval(() => { const n = performance.now(); '
               'worst = Math.max(worst, n - last); last = n; }, 10); '
               'setTimeout(() => { clearInterval(iv); res(worst); }, 3500); })')
    print('  longest main-thread stall over 3.5 s of 1 s refreshes: %.0f ms' % gap)
    check(gap < 500, 'the page stays responsive while refreshing (%.0f ms < 500 ms)' % gap)


def main():
    out, step, url = sys.argv[1], sys.argv[2], sys.argv[3]
    args = sys.argv[4:]
    b = Browser()
    try:
        {'admin': step_admin, 'tenant': step_tenant, 'customer': step_customer,
         'denied': step_denied, 'forged': step_forged,
         'big': lambda br, u, n: step_big(br, u, int(n))}[step](b, url, *args)
    except Exception as e:  # noqa: BLE001 - any failure is a FAIL line
        check(False, '%s: %s' % (step, e))
    finally:
        try:
            b.screenshot(os.path.join(out, step + '.png'))
        except Exception as e:  # noqa: BLE001
            print('  (no screenshot: %s)' % e)
        b.close()
    sys.exit(1 if FAILED else 0)


if __name__ == '__main__':
    main()
