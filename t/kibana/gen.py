#!/usr/bin/env python3
"""Writes t/kibana/cases/*.yaml: policies probing each rule of Kibana's
cloud_defend YAML editor (see RULES.md) at and just past its limit.

Each case carries, in its comments, Kibana's verdict and the rule it
follows from, and where d4c knowingly decides otherwise, its verdict and
why:

    # kibana: accept|reject
    # rule: R12
    # d4c: reject: the compiled policy holds names of at most 128 bytes

t/kibana.sh runs `d4c-policy check` on every case and compares.
Run from t/kibana/: python3 gen.py
"""
import os
import shutil

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")
cases = []


def case(name, verdict, rule, text, d4c=None):
    cases.append((name, verdict, rule, text, d4c))


def proc(sel, resp="      actions: [alert]", match="[s]", extra=""):
    return ("process:\n  selectors:\n    - name: s\n" + sel +
            "  responses:\n    - match: " + match + "\n" + resp + "\n" + extra)


def filep(sel, resp="      actions: [alert]", match="[s]", extra=""):
    return ("file:\n  selectors:\n    - name: s\n" + sel +
            "  responses:\n    - match: " + match + "\n" + resp + "\n" + extra)


def q(s):
    return "'" + s.replace("'", "''") + "'"


# R1 root: a mapping with file and/or process (schema anyOf required)
case("root-file-only", "accept", "R1", filep("      operation: [createExecutable]\n"))
case("root-neither", "reject", "R1", "version: '1'\n")
case("root-list", "reject", "R1", "- file\n")
# R2 unknown keys anywhere (additionalProperties true)
case("unknown-top-key", "accept", "R2", "foo: bar\n" + filep("      operation: [createFile]\n      targetFilePath: [/etc/*]\n"))
case("unknown-type-key", "accept", "R2", "file:\n  comment: x\n  selectors:\n    - name: s\n      operation: [createExecutable]\n  responses:\n    - match: [s]\n      actions: [alert]\n")
case("unknown-selector-key", "accept", "R2", filep("      operation: [createExecutable]\n      description: hello\n"))
case("unknown-response-key", "accept", "R2", filep("      operation: [createExecutable]\n", resp="      actions: [alert]\n      note: x"))
case("other-type-condition-process", "accept", "R2", proc("      operation: [exec]\n      targetFilePath: [/bin/*]\n"))
# R3 version: a string
case("version-string", "accept", "R3", "version: '3'\n" + filep("      operation: [createExecutable]\n"))
case("version-int", "reject", "R3", "version: 3\n" + filep("      operation: [createExecutable]\n"))
case("version-float", "reject", "R3", "version: 1.0\n" + filep("      operation: [createExecutable]\n"))
case("version-bool", "reject", "R3", "version: true\n" + filep("      operation: [createExecutable]\n"))
case("version-null", "reject", "R3", "version:\n" + filep("      operation: [createExecutable]\n"))
case("version-yes-is-string", "accept", "R3", "version: yes\n" + filep("      operation: [createExecutable]\n"))
# R4 file/process: object with selectors and responses, each a list of >= 1
case("type-null", "reject", "R4", "file:\n")
case("no-responses", "reject", "R4", "file:\n  selectors:\n    - name: s\n      operation: [createExecutable]\n")
case("empty-selectors", "reject", "R4", "file:\n  selectors: []\n  responses:\n    - match: [s]\n      actions: [alert]\n")
case("empty-responses", "reject", "R4", "file:\n  selectors:\n    - name: s\n      operation: [createExecutable]\n  responses: []\n")
# R5 selector: mapping with a string name and at least one condition of its type
case("selector-no-name", "reject", "R5", "file:\n  selectors:\n    - operation: [createExecutable]\n  responses:\n    - match: [s]\n      actions: [alert]\n")
case("selector-name-int", "reject", "R5", "file:\n  selectors:\n    - name: 123\n      operation: [createExecutable]\n  responses:\n    - match: ['123']\n      actions: [alert]\n")
case("selector-name-free-form", "accept", "R5", "file:\n  selectors:\n    - name: _my selector!\n      operation: [createExecutable]\n  responses:\n    - match: [_my selector!]\n      actions: [alert]\n")
case("selector-name-129", "accept", "R5", "file:\n  selectors:\n    - name: " + "a" * 129 + "\n      operation: [createExecutable]\n  responses:\n    - match: [" + "a" * 129 + "]\n      actions: [alert]\n",
     d4c="reject: the compiled policy holds names of at most 128 bytes (Kibana's form view has the same limit)")
case("selector-only-unknown-key", "reject", "R5", filep("      description: x\n"))
case("process-selector-only-file-condition", "reject", "R5", proc("      targetFilePath: [/bin/*]\n"))
case("selector-interactive-only", "accept", "R5", proc("      sessionLeaderInteractive: true\n"))
case("duplicate-selector-names", "accept", "R5", "file:\n  selectors:\n    - name: s\n      operation: [createExecutable]\n    - name: s\n      operation: [modifyExecutable]\n  responses:\n    - match: [s]\n      actions: [alert]\n")
# R6 operation: enum per type, list of >= 1
case("op-file-valid", "accept", "R6", filep("      operation: [createExecutable, modifyExecutable]\n"))
case("op-execmemfd", "reject", "R6", filep("      operation: [execMemFd]\n"),
     d4c="accept: execMemFd is d4c's own operation, taken with a warning that Kibana's editor refuses it")
case("op-unknown", "reject", "R6", filep("      operation: [createExe]\n"))
case("op-other-type", "reject", "R6", proc("      operation: [createFile]\n"))
case("op-empty-list", "reject", "R6", filep("      operation: []\n      targetFilePath: [/a]\n"))
# R7 condition values: strings (YAML 1.2 core: numbers, booleans, null are not)
case("tag-float", "reject", "R7", filep("      containerImageTag: [1.25]\n"))
case("tag-quoted-float", "accept", "R7", filep("      containerImageTag: ['1.25']\n"))
case("tag-int", "reject", "R7", filep("      containerImageTag: [3]\n"))
case("cluster-id-int", "reject", "R7", filep("      kubernetesClusterId: [123]\n"))
case("namespace-bool", "reject", "R7", filep("      kubernetesNamespace: [true]\n"))
case("namespace-yes-string", "accept", "R7", filep("      kubernetesNamespace: [yes]\n"))
case("pod-name-null-item", "reject", "R7", filep("      kubernetesPodName: [~]\n"))
case("process-name-hex-int", "reject", "R7", proc("      processName: [0x1f]\n"))
case("process-name-tagged-str", "accept", "R7", proc("      processName: [!!str 12]\n"))
case("condition-not-a-list", "reject", "R7", filep("      containerImageTag: latest\n"))
case("condition-empty-list", "reject", "R7", filep("      containerImageTag: []\n"))
case("tag-infinity", "reject", "R7", filep("      containerImageTag: [.inf]\n"))
case("tag-version-string", "accept", "R7", filep("      containerImageTag: [1.2.3]\n"))
# R8 empty values
case("empty-tag", "reject", "R8", filep("      containerImageTag: ['']\n"))
case("empty-path", "reject", "R8", filep("      targetFilePath: ['']\n"))
# R9 byte limits: 511 default, targetFilePath 255, processName 15
for n, v in ((511, "accept"), (512, "reject")):
    case("tag-%d-bytes" % n, v, "R9", filep("      containerImageTag: [" + "t" * n + "]\n"))
    case("cluster-name-%d-bytes" % n, v, "R9", filep("      kubernetesClusterName: [" + "c" * n + "]\n"))
    case("pod-name-%d-bytes" % n, v, "R9", filep("      kubernetesPodName: [" + "p" * n + "]\n"))
    case("exe-%d-bytes" % n, v, "R9", proc("      processExecutable: [/" + "e" * (n - 1) + "]\n"))
    case("namespace-%d-bytes-utf8" % n, v, "R9", filep("      kubernetesNamespace: [" + "é" * (n // 2) + "x" * (n % 2) + "]\n"))
for n, v in ((255, "accept"), (256, "reject")):
    case("path-%d-bytes" % n, v, "R9", filep("      targetFilePath: [/" + "f" * (n - 1) + "]\n"))
    case("path-%d-bytes-utf8" % n, v, "R9", filep("      targetFilePath: [/" + "ü" * ((n - 1) // 2) + "f" * ((n - 1) % 2) + "]\n"))
for n, v in ((15, "accept"), (16, "reject")):
    case("process-name-%d-bytes" % n, v, "R9", proc("      processName: [" + "n" * n + "]\n"))
case("process-name-8-chars-16-bytes", "reject", "R9", proc("      processName: [" + "é" * 8 + "]\n"))
case("label-511-bytes", "accept", "R9", filep("      kubernetesPodLabel: [k:" + "v" * 509 + "]\n"))
case("label-512-bytes", "reject", "R9", filep("      kubernetesPodLabel: [k:" + "v" * 510 + "]\n"))
# R10 targetFilePath / processExecutable pattern
for key, mk in (("targetFilePath", filep), ("processExecutable", proc)):
    short = "path" if key == "targetFilePath" else "exe"
    for v, verdict in (("/etc/passwd", "accept"), ("/etc/*", "accept"), ("/etc/**", "accept"),
                       ("/*", "accept"), ("/**", "accept"), ("/", "reject"), ("etc/passwd", "reject"),
                       ("/etc/", "reject"), ("//etc", "reject"), ("/etc/*.conf", "reject"),
                       ("/etc*", "reject"), ("/etc/***", "reject"), ("/a/./b", "accept"),
                       ("/a/../b", "accept"), ("/a b/c", "accept"), ("/a\\\\b", "accept")):
        name = v.replace("/", "S").replace("*", "X").replace(".", "D").replace(" ", "_").replace("\\", "B")
        case("%s-pattern-%s" % (short, name), verdict, "R10", mk("      %s: [%s]\n" % (key, q(v.replace("\\\\", "\\")))))
# R11 containerImageName pattern (no wildcard)
for v, verdict in (("nginx", "accept"), ("my-app.v2_x", "accept"), ("nginx*", "reject"), ("Nginx", "reject"),
                   ("library/nginx", "reject"), ("nginx:1", "reject"), ("a--b", "reject"), ("a__b", "reject"),
                   ("-a", "reject"), ("a.", "reject")):
    case("image-name-%s" % v.replace("*", "X").replace("/", "S").replace(":", "C"), verdict, "R11",
         filep("      containerImageName: [%s]\n" % q(v)))
# R12 containerImageFullName pattern
for v, verdict in (("docker.io/nginx", "accept"), ("localhost:5000/a/b", "accept"), ("[::1]:5000/app", "accept"),
                   ("Registry.example/app", "accept"), ("Registry.Example/app", "reject"), ("docker.io/nginx:1", "reject"), ("nginx", "reject"),
                   ("docker.io/Nginx", "reject"), ("docker.io/nginx*", "reject"), ("docker.io/", "reject"),
                   ("docker.io/a__b", "reject"), ("a.B/app", "reject"), ("my_reg/app", "reject")):
    case("image-full-%s" % v.replace("*", "X").replace("/", "S").replace(":", "C").replace("[", "L").replace("]", "R"),
         verdict, "R12", filep("      containerImageFullName: [%s]\n" % q(v)))
# R13 free-form values: tags, namespaces, pod names, cluster ids
for key, v in (("containerImageTag", "Latest-.x!"), ("containerImageTag", "a*b"), ("containerImageTag", "-1"),
               ("kubernetesNamespace", "Kube_System"), ("kubernetesNamespace", "a*b"),
               ("kubernetesPodName", "Pod_Name.x"), ("kubernetesClusterId", "any thing*"),
               ("containerImageTag", "t" * 200)):
    case("free-%s-%s" % (key, v[:20].replace("*", "X").replace(" ", "_").replace("!", "E")), "accept", "R13",
         filep("      %s: [%s]\n" % (key, q(v))))
case("process-name-star-middle", "accept", "R13", proc("      processName: ['a*b']\n"))
# R14 kubernetesPodLabel pattern
for v, verdict in (("app:web", "accept"), ("app:", "accept"), ("app:*", "accept"), ("app:we*", "accept"),
                   ("example.com/app:web", "accept"), ("app.kubernetes.io/name:x_y", "accept"),
                   ("-app-:.v.", "accept"), ("A" * 100 + ":x", "accept"), ("app", "reject"), ("app:w*b", "reject"),
                   ("app_x:web", "reject"), ("a/b/c:d", "reject"), (":web", "reject"), ("app:web**", "reject"),
                   ("app: web", "reject"), ("*:web", "reject")):
    case("label-%s" % v[:30].replace("*", "X").replace("/", "S").replace(":", "C").replace(" ", "_"), verdict,
         "R14", filep("      kubernetesPodLabel: [%s]\n" % q(v)))
# R15 exclusive pairs: schema dependencies (processExecutable+processName is only the form view's)
case("exclusive-image-full-and-name", "reject", "R15", filep("      containerImageFullName: [docker.io/nginx]\n      containerImageName: [nginx]\n"))
case("exclusive-ignore-mounts-files", "reject", "R15", filep("      operation: [createExecutable]\n      ignoreVolumeMounts: true\n      ignoreVolumeFiles: false\n"))
case("executable-and-name", "accept", "R15", proc("      processExecutable: [/bin/sh]\n      processName: [sh]\n"))
# R16 booleans
case("bool-true", "accept", "R16", proc("      sessionLeaderInteractive: true\n"))
case("bool-quoted", "reject", "R16", proc("      sessionLeaderInteractive: 'true'\n"))
case("bool-yes", "reject", "R16", filep("      operation: [createExecutable]\n      ignoreVolumeMounts: yes\n"))
case("bool-True", "accept", "R16", filep("      operation: [createExecutable]\n      ignoreVolumeFiles: True\n"))
case("bool-list", "reject", "R16", proc("      sessionLeaderInteractive: [true]\n"))
# R17 responses: match (>= 1 names of the type's selectors), exclude (any number), actions (>= 1 of alert/block/log)
case("exclude-empty", "accept", "R17", filep("      operation: [createExecutable]\n", resp="      exclude: []\n      actions: [alert]"))
case("exclude-null", "reject", "R17", filep("      operation: [createExecutable]\n", resp="      exclude:\n      actions: [alert]"))
case("match-empty", "reject", "R17", filep("      operation: [createExecutable]\n", match="[]"))
case("match-unknown", "reject", "R17", filep("      operation: [createExecutable]\n", match="[t]"))
case("match-other-type", "reject", "R17", filep("      operation: [createExecutable]\n", match="[p]",
     extra="process:\n  selectors:\n    - name: p\n      operation: [exec]\n  responses:\n    - match: [p]\n      actions: [log]\n"))
case("exclude-unknown", "reject", "R17", filep("      operation: [createExecutable]\n", resp="      exclude: [t]\n      actions: [alert]"))
case("match-int-name", "reject", "R17", "file:\n  selectors:\n    - name: '1'\n      operation: [createExecutable]\n  responses:\n    - match: [1]\n      actions: [alert]\n")
case("actions-empty", "reject", "R17", filep("      operation: [createExecutable]\n", resp="      actions: []"))
case("actions-unknown", "reject", "R17", filep("      operation: [createExecutable]\n", resp="      actions: [deny]"))
case("no-match", "reject", "R17", "file:\n  selectors:\n    - name: s\n      operation: [createExecutable]\n  responses:\n    - actions: [alert]\n")
case("match-and-exclude-same", "accept", "R17", filep("      operation: [createExecutable]\n", resp="      exclude: [s]\n      actions: [alert]"))
# R18 block needs alert
case("block-without-alert", "reject", "R18", filep("      operation: [createExecutable]\n", resp="      actions: [block]"))
case("block-with-alert", "accept", "R18", filep("      operation: [createExecutable]\n", resp="      actions: [alert, block]"))
# R19 block restrictions (validateBlockRestrictions)
case("block-fim-no-path", "reject", "R19", filep("      operation: [createFile]\n", resp="      actions: [alert, block]"))
case("block-no-operation-no-path", "reject", "R19", filep("      containerImageName: [nginx]\n", resp="      actions: [alert, block]"))
case("block-fim-with-path", "accept", "R19", filep("      operation: [createFile]\n      targetFilePath: [/etc/**]\n", resp="      actions: [alert, block]"))
case("block-exec-ops-no-path", "accept", "R19", filep("      operation: [createExecutable]\n", resp="      actions: [alert, block]"))
case("block-exclude-with-path", "accept", "R19", "file:\n  selectors:\n    - name: s\n      operation: [createFile]\n    - name: x\n      targetFilePath: [/tmp/**]\n  responses:\n    - match: [s]\n      exclude: [x]\n      actions: [alert, block]\n")
case("block-exclude-non-fim", "accept", "R19", "file:\n  selectors:\n    - name: s\n      operation: [createFile]\n    - name: x\n      operation: [createExecutable]\n  responses:\n    - match: [s]\n      exclude: [x]\n      actions: [alert, block]\n")
case("block-exclude-fim-no-path", "reject", "R19", "file:\n  selectors:\n    - name: s\n      operation: [createFile]\n    - name: x\n      operation: [deleteFile]\n  responses:\n    - match: [s]\n      exclude: [x]\n      actions: [alert, block]\n")
case("block-one-of-two-match-no-path", "reject", "R19", "file:\n  selectors:\n    - name: s\n      operation: [createFile]\n      targetFilePath: [/etc/*]\n    - name: t\n      operation: [modifyFile]\n  responses:\n    - match: [s, t]\n      actions: [alert, block]\n")
case("block-process-with-operation", "accept", "R19", proc("      operation: [exec]\n      processExecutable: [/bin/nc]\n", resp="      actions: [alert, block]"))
case("block-process-no-operation", "reject", "R19", proc("      processExecutable: [/bin/nc]\n", resp="      actions: [alert, block]"))
case("block-slash-star-star", "accept", "R19", filep("      operation: [createFile]\n      targetFilePath: [/**]\n", resp="      actions: [alert, block]"))
# R20 at most 64 selectors + responses per type
def many(nsel):
    t = "file:\n  selectors:\n"
    for i in range(nsel):
        t += "    - name: s%d\n      operation: [createExecutable]\n" % i
    t += "  responses:\n    - match: [%s]\n      actions: [alert]\n" % ", ".join("s%d" % i for i in range(nsel))
    return t
case("selectors-63-plus-1-response", "accept", "R20", many(63))
case("selectors-64-plus-1-response", "reject", "R20", many(64))
# R21 YAML: duplicate keys are errors
case("yaml-duplicate-key", "reject", "R21", filep("      operation: [createExecutable]\n      operation: [modifyExecutable]\n"))
case("yaml-syntax", "reject", "R21", "file: [\n")

shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
seen = set()
for i, (name, verdict, rule, text, d4c) in enumerate(cases, 1):
    assert name not in seen, name
    seen.add(name)
    with open(os.path.join(OUT, "%03d-%s.yaml" % (i, name)), "w", encoding="utf-8") as f:
        f.write("# kibana: %s\n# rule: %s\n" % (verdict, rule))
        if d4c:
            f.write("# d4c: %s\n" % d4c)
        f.write(text)
print(len(cases))
