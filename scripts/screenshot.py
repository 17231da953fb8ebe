"""Screenshot Odoo pages as a given user, in headless Chromium, to look at them.

    python scripts/screenshot.py --url http://localhost:8069 --db insurance_renewal \
        --login specialist --password specialist --out /tmp/shots \
        "kanban=/odoo/action-insurance_renewal.crm_lead_renewal_action"

Each NAME=PATH argument is opened after logging in and saved as OUT/LOGIN-NAME.png.
Needs Debian's chromium and the websocket-client package (both used by the tours).
"""

import argparse
import base64
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import websocket


def authenticate(url, db, login, password):
    request = urllib.request.Request(
        f"{url}/web/session/authenticate",
        data=json.dumps(
            {
                "jsonrpc": "2.0",
                "params": {"db": db, "login": login, "password": password},
            }
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
        if answer.get("error"):
            raise SystemExit(f"login {login} refused: {answer['error']['message']}")
        cookie = response.headers["Set-Cookie"]
    return cookie.split("session_id=")[1].split(";")[0]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    def __init__(self, width, height):
        self.port = free_port()
        self.profile = tempfile.mkdtemp()
        self.process = subprocess.Popen(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={self.port}",
                # newer Chromium refuses the debugging socket to other origins
                "--remote-allow-origins=*",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self.socket = websocket.create_connection(self._page_socket_url())
        except Exception:
            self.process.terminate()
            raise
        self.next_id = 0

    def _page_socket_url(self):
        targets = []
        for _attempt in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json") as r:
                    targets = json.load(r)
                break
            except OSError:
                time.sleep(0.2)
        page = next(t for t in targets if t["type"] == "page")
        return page["webSocketDebuggerUrl"]

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})

    def close(self):
        self.socket.close()
        self.process.terminate()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", default="/tmp/shots")
    parser.add_argument("--wait", type=float, default=4.0)
    parser.add_argument("--size", default="1400x900")
    parser.add_argument("pages", nargs="+", help="NAME=PATH")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    session = authenticate(args.url, args.db, args.login, args.password)
    width, height = (int(n) for n in args.size.split("x"))
    browser = Browser(width, height)
    try:
        host = args.url.split("//")[1].split(":")[0]
        browser.call("Network.enable")
        browser.call(
            "Network.setCookie", name="session_id", value=session, domain=host, path="/"
        )
        for page in args.pages:
            name, path = page.split("=", 1)
            browser.call("Page.navigate", url=f"{args.url}{path}")
            time.sleep(args.wait)
            shot = browser.call("Page.captureScreenshot", format="png")
            target = os.path.join(args.out, f"{args.login}-{name}.png")
            with open(target, "wb") as image:
                image.write(base64.b64decode(shot["data"]))
            print(target)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
