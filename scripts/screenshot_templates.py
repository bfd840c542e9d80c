"""Screenshot Camunda's properties panel showing a task drawn with our element templates.

    python scripts/screenshot_templates.py                   # writes docs/img/modeler-templates.png
    python scripts/screenshot_templates.py --node-modules DIR  # reuse installed npm packages

It installs bpmn-js, bpmn-js-properties-panel, bpmn-js-element-templates and
camunda-bpmn-moddle from the npm registry into a temporary folder (nothing is committed),
bundles a small modeler page with esbuild, loads every shipped template into it, opens a
diagram whose service task is drawn with the DeployModel template, selects the task and
takes a screenshot in Debian's headless Chromium (driven by Playwright). Needs node, npm,
/usr/bin/chromium and the `playwright` package (the dev extra).
"""

# ruff: noqa: INP001, S603, S607 - a script run by path; it runs npm and node by name

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bpmn_builder import Process, document

from modelop_mlc import element_templates

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "img" / "modeler-templates.png"
PACKAGES = (
    "bpmn-js@18",
    "bpmn-js-properties-panel@5",
    "bpmn-js-element-templates@2",
    "@bpmn-io/properties-panel@3",
    "camunda-bpmn-moddle@8",
    "esbuild@0.28",
)
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ENTRY = """
import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule
} from 'bpmn-js-properties-panel';
import { ElementTemplatesPropertiesProviderModule } from 'bpmn-js-element-templates';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';

async function main() {
  const [templates, diagram] = await Promise.all([
    fetch('templates.json').then(r => r.json()),
    fetch('diagram.bpmn').then(r => r.text())
  ]);
  const modeler = new BpmnModeler({
    container: '#canvas',
    propertiesPanel: { parent: '#properties' },
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule, ElementTemplatesPropertiesProviderModule
    ],
    moddleExtensions: { camunda: camundaModdle },
    elementTemplates: templates
  });
  await modeler.importXML(diagram);
  modeler.get('canvas').zoom('fit-viewport');
  const { xml } = await modeler.saveXML({ format: true });
  window.EXPORTED = xml;
  window.SELECT = id => modeler.get('selection').select(modeler.get('elementRegistry').get(id));
  window.READY = true;
}
main().catch(error => { window.FAILED = String(error && error.stack || error); });
"""
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>modelop_mlc element templates</title>
{styles}
<style>
  html, body { margin: 0; height: 100%; font-family: sans-serif; }
  #main { display: flex; height: 100%; }
  #canvas { flex: 1; }
  #properties { width: 460px; border-left: 1px solid #ccc; overflow: auto; }
</style></head>
<body><div id="main"><div id="canvas"></div><div id="properties"></div></div>
<script src="bundle.js"></script></body></html>
"""


STYLES = (
    "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-js/dist/assets/bpmn-js.css",
    "bpmn-js/dist/assets/bpmn-font/css/bpmn.css",
    "@bpmn-io/properties-panel/dist/assets/properties-panel.css",
    "bpmn-js-element-templates/dist/assets/element-templates.css",
)


def diagram() -> str:
    """A process drawn with the templates: snapshot signal, Deploy Model, FAILURE boundary."""
    templates = {t["id"]: t for t in element_templates.shipped()}
    signal = templates["modelop_mlc.signal.deployable_model_changed"]
    p = Process("deploy_snapshot", "Deploy a new snapshot")
    p.start("snapshot", "Snapshot created", signal="Signal_snapshot")
    p.nodes["snapshot"].attrs.update(
        {
            "camunda:modelerTemplate": signal["id"],
            "camunda:modelerTemplateVersion": str(signal["version"]),
        }
    )
    p.service(
        "deploy", "Deploy the snapshot", "DeployModel", inputs={"ENGINE_INSTANCE": "batch-dev"}
    )
    p.boundary_error("deploy_failed", "deploy", name="FAILURE")
    p.end("deployed", "Deployed")
    p.end("failed", "Not deployed")
    p.chain("snapshot", "deploy", "deployed")
    p.chain("deploy_failed", "failed")
    return document(
        [p],
        signals={"Signal_snapshot": signal["metadata"]["signal"]},
        errors={"Error_FAILURE": "FAILURE"},
        definitions_id="deploy_snapshot_definitions",
    )


def install(folder: Path) -> None:
    """Install the npm packages into `folder`."""
    subprocess.run(
        [
            "npm",
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(folder),
            *PACKAGES,
        ],
        check=True,
    )


def build(folder: Path, modules: Path) -> None:
    """Write the page, the templates and the diagram; bundle the page's script."""
    if modules != folder / "node_modules":
        (folder / "node_modules").symlink_to(modules)
    (folder / "entry.js").write_text(ENTRY)
    links = "\n".join(f'<link rel="stylesheet" href="node_modules/{css}">' for css in STYLES)
    (folder / "index.html").write_text(PAGE.replace("{styles}", links))
    (folder / "templates.json").write_text(json.dumps(element_templates.shipped()))
    (folder / "diagram.bpmn").write_text(diagram())
    esbuild = modules / ".bin" / "esbuild"
    subprocess.run(
        [str(esbuild), "entry.js", "--bundle", "--outfile=bundle.js", "--log-level=warning"],
        cwd=folder,
        check=True,
    )


def screenshot(folder: Path, output: Path) -> str:
    """Serve `folder` on 127.0.0.1, open the page in Chromium, save the screenshot.

    Returns:
        The diagram as the modeler exports it.
    """
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - dev extra only

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=FLAGS
            )
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
            page.wait_for_function("window.READY || window.FAILED", timeout=30_000)
            failed = page.evaluate("window.FAILED")
            if failed:
                raise RuntimeError(f"the modeler page failed: {failed}")
            page.evaluate("window.SELECT('deploy')")
            page.wait_for_function(
                "document.querySelector('#properties').innerText.includes('Deploy the snapshot')"
            )
            for group in ("Template", "Inputs", "Outputs"):
                page.get_by_text(group, exact=False).first.click()
            page.mouse.move(0, 0)
            output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output))
            exported = str(page.evaluate("window.EXPORTED"))
            browser.close()
    finally:
        server.shutdown()
    return exported


def main(argv: Sequence[str] | None = None) -> int:
    """Install, build, screenshot; return the exit code."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--node-modules", type=Path, help="an npm folder with the packages")
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"the PNG (default {OUTPUT})")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="mlc-modeler-"))
    try:
        modules = args.node_modules
        if modules is None:
            install(folder)
            modules = folder / "node_modules"
        build(folder, modules.resolve())
        exported = screenshot(folder, args.out)
        if 'camunda:modelerTemplate="modelop_mlc.delegate.DeployModel"' not in exported:
            sys.stderr.write("the modeler did not keep the template on the task\n")
            return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
