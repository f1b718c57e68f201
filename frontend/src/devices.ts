// "Devices" in the drawer: the browsers that may log in without the
// password (each remembers a session key; with `--token-file` they survive
// a restart). The owner sees when each was last seen, whether it came
// through the read-only link, and revokes any of them; a revoked browser is
// disconnected and asked for the password. Read-only viewers never see it.
import { h, on, setChildren } from "./dom";
import type { ClientMessage, DeviceInfo } from "./protocol";

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86400);
  return `${d} day${d === 1 ? "" : "s"} ago`;
}

export class DevicesPanel {
  readonly el: HTMLElement;
  private readonly list = h("ul", { class: "list", "aria-label": "Remembered devices", testid: "device-list" });
  private readonly note = h("p", { class: "devices-note", testid: "devices-note" });

  constructor(
    private readonly send: (msg: ClientMessage) => boolean,
    private readonly confirm: (title: string, detail: string, ok: string) => Promise<boolean>,
  ) {
    this.el = h("section", { testid: "devices", hidden: true }, h("h3", {}, "Devices"), this.list, this.note);
  }

  /** Asks the server for the list (the drawer opened). Read-only clients may not. */
  refresh(readOnly: boolean): void {
    this.el.hidden = readOnly;
    if (!readOnly) this.send({ type: "list_devices" });
  }

  receive(devices: DeviceInfo[]): void {
    this.el.hidden = false;
    this.note.textContent =
      devices.length === 0
        ? "No remembered devices: this server asks for no password, or none has logged in with it."
        : "These browsers log in without the password. Revoke one to sign it out.";
    setChildren(
      this.list,
      devices.map((d) => {
        const name = d.label || "Unknown browser";
        const what = [d.current ? "this device" : d.online ? "online" : `seen ${ago(d.lastSeenAt)}`, d.readOnly ? "view only" : ""]
          .filter(Boolean)
          .join(" · ");
        const revoke = h("button", { class: "btn btn-danger device-revoke", type: "button", testid: "device-revoke", "aria-label": `Revoke ${name}` }, "Revoke");
        on(revoke, "click", () => {
          const detail = d.current
            ? "This browser is signed out and asks for the password again."
            : "That browser is disconnected now and needs the password to come back.";
          void this.confirm(`Revoke ${name}?`, detail, "Revoke").then((ok) => {
            if (ok) this.send({ type: "revoke_device", id: d.id });
          });
        });
        return h(
          "li",
          { class: "device", testid: "device-item", "data-id": d.id, "data-current": String(d.current), "data-read-only": String(d.readOnly), "data-online": String(d.online) },
          h("span", { class: "device-text" }, h("span", { class: "name" }, name), h("span", { class: "meta" }, what)),
          revoke,
        );
      }),
    );
  }
}
