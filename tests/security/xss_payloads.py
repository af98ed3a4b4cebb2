"""Our own stored-XSS corpus: hostile strings composed for Staffroom, not copied from a list.

Every payload that could run script calls `__xss(N)` with its own number N, so a browser test
that defines `window.__xss` (and watches dialogs) can tell which one fired. Families are
crossed with contexts (a dangerous URL in an HTML attribute, in a Markdown link, in an SVG
link...), so the corpus grows by combination rather than by near-copies.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

MARKER = "__xss"
# Where a payload's number goes; replaced with `__xss(N)` when the corpus is built.
JS = "{js}"


@dataclass(frozen=True)
class Payload:
    number: int
    family: str
    text: str

    @property
    def call(self) -> str:
        return f"{MARKER}({self.number})"


# Script elements in many spellings.
SCRIPT_TAGS = [
    "<script>{js}</script>",
    "<SCRIPT>{js}</SCRIPT>",
    "<ScRiPt>{js}</sCrIpT>",
    "<script >{js}</script >",
    "<script\t>{js}</script>",
    "<script\n>{js}</script>",
    "<script/x>{js}</script>",
    "<script type=text/javascript>{js}</script>",
    "<script type=module>{js}</script>",
    "<script>/*</script>*/{js}</script>",
    "<<script>script>{js}<</script>/script>",
    "<scr<script>ipt>{js}</scr</script>ipt>",
    "<script src=data:,{js}></script>",
    "<script>{js}//",
    "<script\x0c>{js}</script>",
    "<script>{js}<!--",
]

# Event-handler attributes on many elements.
EVENT_HANDLERS = [
    "<img src=x onerror={js}>",
    "<IMG SRC=x OnErRoR={js}>",
    '<img src="x" onerror="{js}">',
    "<img src=x onerror='{js}'>",
    "<img src=x onerror=&#95;&#95;xss&#40;0&#41;;{js}>",
    "<img/src=x/onerror={js}>",
    "<img src=x\nonerror={js}>",
    "<img src=x onerror\t=\t{js}>",
    '<img src="x`" onerror={js}>',
    "<image src=x onerror={js}>",
    "<svg onload={js}>",
    "<svg/onload={js}>",
    "<body onload={js}>",
    "<body onpageshow={js}>",
    "<details open ontoggle={js}>",
    "<input autofocus onfocus={js}>",
    "<input type=image src=x onerror={js}>",
    "<select autofocus onfocus={js}></select>",
    "<textarea autofocus onfocus={js}></textarea>",
    "<button autofocus onfocus={js}>x</button>",
    "<marquee onstart={js}>x</marquee>",
    "<video><source onerror={js}></video>",
    "<video src=x onerror={js}></video>",
    "<audio src=x onerror={js}></audio>",
    "<iframe onload={js}></iframe>",
    "<object data=x onerror={js}></object>",
    "<a onmouseover={js}>hover</a>",
    "<div onpointerenter={js} style=position:fixed;inset:0>x</div>",
    "<p onclick={js}>click</p>",
    "<form><button onfocus={js} autofocus>x</button></form>",
    "<style onload={js}></style>",
    "<link rel=stylesheet href=x onerror={js}>",
    "<keygen autofocus onfocus={js}>",
    "<isindex onmouseover={js}>",
    "<a href=# onfocus={js} autofocus>x</a>",
    "<table background=x onerror={js}>",
    "<frameset onload={js}>",
    "<img src=x onerror={js}//",
    "<img src=x onerror=window['__x'+'ss'](0)||{js}>",
    "<img src=x onerror=eval(atob('X194c3MoMCk='))||{js}>",
]

# Ways to spell a URL that runs script when followed or loaded.
DANGEROUS_URLS = [
    "javascript:{js}",
    "JaVaScRiPt:{js}",
    "JAVASCRIPT:{js}",
    " javascript:{js}",
    "\tjavascript:{js}",
    "jav\tascript:{js}",
    "jav\nascript:{js}",
    "java\x00script:{js}",
    "jav&#x09;ascript:{js}",
    "jav&#9;ascript:{js}",
    "&#106;avascript:{js}",
    "&#x6A;&#x61;&#x76;&#x61;script:{js}",
    "&#0000106;&#0000097;vascript:{js}",
    "javascript&colon;{js}",
    "javascript&#58;{js}",
    "%6Aavascript:{js}",
    "javascript%3A{js}",
    "vbscript:{js}",
    "data:text/html,<script>{js}</script>",
    "data:text/html;base64,PHNjcmlwdD5fX3hzcygwKTwvc2NyaXB0Pg==#{js}",
    "data:image/svg+xml,<svg onload={js}>",
    "\x01javascript:{js}",
]

# Where a URL can sit: HTML attributes and Markdown's link forms.
URL_CONTEXTS = [
    '<a href="{url}">link</a>',
    "<img src='{url}'>",
    '<form action="{url}"><button>go</button></form>',
    '<button form=f formaction="{url}">go</button>',
    '<svg><a xlink:href="{url}"><text y=20>x</text></a></svg>',
    "[link]({url})",
    "[link](<{url}>)",
    "![picture]({url})",
    "[link][ref]\n\n[ref]: {url}",
    "<{url}>",
    '[link]({url} "a title")',
]

# A way out of the surrounding markup, then something that runs.
BREAKOUTS = [
    '">',
    "'>",
    "\">'>",
    "</textarea>",
    "</title>",
    "</script>",
    "</style>",
    "-->",
    "]]>",
    "</noscript>",
    "</template>",
    "</option></select>",
    "</p></div>",
    "`>",
    '" autofocus onfocus="{js}" x="',
    "' autofocus onfocus='{js}' x='",
]
BREAKOUT_TAILS = ["<img src=x onerror={js}>", "<script>{js}</script>"]

SVG_AND_MATHML = [
    "<svg><script>{js}</script></svg>",
    "<svg><script href=data:,{js} /></svg>",
    "<svg><foreignObject><img src=x onerror={js}></foreignObject></svg>",
    "<svg><animate onbegin={js} attributeName=x dur=1s>",
    "<svg><set onbegin={js} attributeName=x to=1>",
    "<svg><a><animate attributeName=href values=javascript:{js} /><text y=20>x</text></a></svg>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    "<image href='x' onerror='{js}' /></svg>#x\"></use></svg>",
    "<svg><style><img src=x onerror={js}></style></svg>",
    "<svg><title><img src=x onerror={js}></title></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror={js}>",
    "<math href=javascript:{js}>x</math>",
    "<math><maction actiontype=statusline xlink:href=javascript:{js}>x</maction></math>",
    "<svg xmlns:xlink=http://www.w3.org/1999/xlink><image xlink:href=x onerror={js} /></svg>",
]

EMBEDDING = [
    "<iframe src=javascript:{js}></iframe>",
    '<iframe srcdoc="<script>{js}</script>"></iframe>',
    "<iframe srcdoc=&lt;img&#32;src=x&#32;onerror={js}&gt;></iframe>",
    "<object data=javascript:{js}></object>",
    "<embed src=javascript:{js}>",
    "<base href=javascript:{js}//>",
    '<meta http-equiv="refresh" content="0;url=javascript:{js}">',
    "<form id=f action=javascript:{js}><input type=submit></form>",
    "<isindex action=javascript:{js} type=submit>",
    "<link rel=import href=data:text/html,<script>{js}</script>>",
    "<portal src=javascript:{js}></portal>",
    "<applet code=javascript:{js}></applet>",
]

STYLES = [
    '<div style="width:expression({js})">x</div>',
    "<div style=\"background:url('javascript:{js}')\">x</div>",
    "<style>@import 'javascript:{js}';</style>",
    "<style>*{{background:url(javascript:{js})}}</style>",
    '<div style="behavior:url(x.htc)" data-x="{js}">x</div>',
    '<div style="-moz-binding:url(x.xml#{js})">x</div>',
    "<style>body{{}}</style><img src=x onerror={js}>",
    '<p style="x:e\\78pression({js})">x</p>',
]

MUTATION = [
    '<noscript><p title="</noscript><img src=x onerror={js}>">',
    "<template><img src=x onerror={js}></template>",
    "<textarea><img src=x onerror={js}></textarea>",
    "<xmp><img src=x onerror={js}></xmp>",
    "<!--<img src=x onerror={js}>-->",
    "<!-- --!><img src=x onerror={js}>-->",
    "<title><img src=x onerror={js}></title>",
    "<form><math><mtext></form><form><mglyph><style></math><img src=x onerror={js}>",
    '<svg></p><style><a id="</style><img src=x onerror={js}>">',
    "<listing>&lt;img src=x onerror={js}&gt;</listing>",
    '<img src="x" alt="``onerror={js}">',
    '<a href="https://example.org/" title="&quot; onmouseover={js} x=&quot;">x</a>',
    '<div id="x"><![CDATA[<img src=x onerror={js}>]]></div>',
    "<?xml-stylesheet href=javascript:{js}?>",
]

# For the places text lands inside script, JSON or a template language.
SCRIPT_CONTEXT = [
    "</script><script>{js}</script>",
    "\u2028{js}\u2029",
    "'-{js}-'",
    '"-{js}-"',
    '";{js};//',
    "';{js};//",
    "${{{js}}}",
    "{{{{constructor.constructor('{js}')()}}}}",
    "{{% raw %}}{{{{ {js} }}}}",
    "\\u003cscript\\u003e{js}\\u003c/script\\u003e",
    "<!--<script>{js}</script>-->",
    "\\x3cimg src=x onerror={js}\\x3e",
]

UNICODE_TRICKS = [
    "\uff1cscript\uff1e{js}\uff1c/script\uff1e",
    "\uff1cimg src=x onerror={js}\uff1e",
    "\u202e>tpircs/<{js}>tpircs<",
    "<scr\u200bipt>{js}</scr\u200bipt>",
    "jav\u200bascript:{js}",
    "[link](jav\u200dascript:{js})",
    "<img src=x one\u00adrror={js}>",
    "\u0131mg src=x onerror={js}",
    "<\u0073cript>{js}</\u0073cript>",
    "\ufeff<script>{js}</script>",
]

# Markdown-only tricks beyond the URL crossings.
MARKDOWN = [
    "<div>\n\n[link](javascript:{js})\n\n</div>",
    "*<img src=x onerror={js}>*",
    "`code` <img src=x onerror={js}>",
    "```html\n</code><img src=x onerror={js}>\n```",
    "> <script>{js}</script>",
    "- <svg onload={js}>",
    "| a | b |\n| - | - |\n| <img src=x onerror={js}> | c |",
    "[<img src=x onerror={js}>](https://example.org/)",
    '[link](https://example.org/ "x\\" onmouseover=\\"{js}")',
    '[link](https://example.org/"onmouseover="{js})',
    '![a" onerror="{js}](x)',
    '<https://example.org/"onmouseover="{js}>',
    "[link](javascript:{js}#https://example.org/)",
    "~~<img src=x onerror={js}>~~",
    "@priya.patel <img src=x onerror={js}>",
    "https://example.org/<img src=x onerror={js}>",
]

# Plain naughty strings: no script, but they must come back safe and intact.
NAUGHTY = [
    "A" * 5000,
    "\U0001f600\U0001f469\u200d\U0001f3eb\U0001f3f3\ufe0f\u200d\U0001f308",
    "\u200b\u200c\u200d\u2060",
    "a\x00b",
    "Z\u0351\u0354\u0353\u0326\u031d\u0324alg\u0337o\u0327",
    "\u202eevil\u202c",
    "' OR '1'='1",
    "%s %d {0} {{ x }} {% now 'Y' %}",
    "&amp;&lt;&gt;&quot;&#39;",
    "null",
    "undefined",
    "<",
    ">",
    "&",
    '"',
    "\\",
    "../../../../etc/passwd",
    "\r\n\r\nX-Injected: yes",
    "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",
    "\U0001d573\U0001d58a\U0001d591\U0001d591\U0001d594",
]


def _families() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    found += [("script tag", text) for text in SCRIPT_TAGS]
    found += [("event handler", text) for text in EVENT_HANDLERS]
    found += [
        ("dangerous url", context.replace("{url}", url))
        for url in DANGEROUS_URLS
        for context in URL_CONTEXTS
    ]
    found += [("breakout", head + tail) for head in BREAKOUTS for tail in BREAKOUT_TAILS]
    found += [("svg and mathml", text) for text in SVG_AND_MATHML]
    found += [("embedding", text) for text in EMBEDDING]
    found += [("style", text) for text in STYLES]
    found += [("mutation", text) for text in MUTATION]
    found += [("script context", text) for text in SCRIPT_CONTEXT]
    found += [("unicode", text) for text in UNICODE_TRICKS]
    found += [("markdown", text) for text in MARKDOWN]
    found += [("naughty", text.replace("{", "{{").replace("}", "}}")) for text in NAUGHTY]
    return found


def _build() -> list[Payload]:
    payloads: list[Payload] = []
    seen: set[str] = set()
    for family, template in _families():
        # Two families can compose the same string (a breakout that is also a script
        # context): keep the first.
        if template in seen:
            continue
        seen.add(template)
        number = len(payloads) + 1
        payloads.append(Payload(number, family, template.format(js=f"{MARKER}({number})")))
    return payloads


PAYLOADS: list[Payload] = _build()
EXECUTABLE: list[Payload] = [payload for payload in PAYLOADS if payload.call in payload.text]


def shape(text: str) -> str:
    """The payload with its number taken out, to tell real variety from renumbered copies."""
    return re.sub(rf"{MARKER}\(\d+\)", f"{MARKER}(N)", text)


def chunks(payloads: list[Payload], size: int) -> list[list[Payload]]:
    return [payloads[start : start + size] for start in range(0, len(payloads), size)]


# The judge: what must never appear in a page that shows someone's words.

SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "poster", "background", "data",
    "cite", "longdesc", "lowsrc", "dynsrc", "codebase", "manifest", "ping", "srcdoc",
}  # fmt: skip
# Our templates use none of these, so any one is someone's markup getting through.
NEVER = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal", "svg",
    "math", "noscript", "template", "xmp", "listing", "isindex", "keygen", "marquee",
}  # fmt: skip
# Allowed in our own page furniture, never inside someone's words.
NEVER_IN_USER_CONTENT = {
    "form", "input", "button", "select", "textarea", "img", "image", "video", "audio",
    "source", "style", "meta", "link", "title", "body", "details",
}  # fmt: skip
# Elements that hold what staff wrote (post bodies, resource notes).
USER_CONTENT_CLASSES = {"prose", "notes", "post__body"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "keygen", "param", "image", "isindex",
}  # fmt: skip
# What a browser ignores in a URL before reading its scheme.
_URL_NOISE = re.compile(r"[\t\n\r]")
_CONTROL_AND_SPACE = "".join(chr(code) for code in range(0x21))
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DANGEROUS_VALUE = re.compile(r"^(?:javascript|vbscript|data\s*:\s*text/html)", re.IGNORECASE)
_DANGEROUS_STYLE = re.compile(r"expression|javascript|behavior|binding|@import", re.IGNORECASE)


def url_scheme(value: str) -> str:
    """The scheme a browser would read from an attribute's (already unescaped) URL."""
    cleaned = _URL_NOISE.sub("", value).strip(_CONTROL_AND_SPACE)
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else ""


class _Judge(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, opens user content)
        self.in_body = False
        self.script_open = False

    def _inside_user_content(self) -> bool:
        return any(user for _, user in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag not in VOID:
            classes = set((dict(attrs).get("class") or "").split())
            self.stack.append((tag, bool(classes & USER_CONTENT_CLASSES)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.script_open = False
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if self.script_open and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")

    def _problem(self, text: str) -> None:
        self.problems.append(text)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        shown = self.get_starttag_text() or tag
        values = {name: value or "" for name, value in attrs}
        if tag == "body":
            if self.in_body:
                self._problem(f"a second body: {shown[:120]}")
            self.in_body = True
        if tag == "script":
            self.script_open = True
            src = values.get("src", "")
            if values.get("type", "").lower() == "application/json" and not src:
                self.script_open = False  # a json_script block: data, never run
            elif not src.startswith("/static/"):
                self._problem(f"script not from /static/: {shown[:120]}")
        if tag in NEVER:
            self._problem(f"<{tag}> on the page: {shown[:120]}")
        if tag in NEVER_IN_USER_CONTENT and self._inside_user_content():
            self._problem(f"<{tag}> inside someone's words: {shown[:120]}")
        if self.in_body and tag in {"style", "meta", "link", "base"}:
            self._problem(f"<{tag}> in the body: {shown[:120]}")
        if tag == "meta" and "refresh" in values.get("http-equiv", "").lower():
            self._problem(f"meta refresh: {shown[:120]}")
        for name, value in values.items():
            if name.startswith("on"):
                self._problem(f"event handler {name}: {shown[:120]}")
            if name in URL_ATTRIBUTES:
                scheme = url_scheme(value)
                if scheme and scheme not in SAFE_SCHEMES:
                    self._problem(f"{name} with scheme {scheme}: {shown[:120]}")
            if _DANGEROUS_VALUE.match(_URL_NOISE.sub("", value).strip()):
                self._problem(f"{name} holds a script URL: {shown[:120]}")
            if name == "style" and _DANGEROUS_STYLE.search(value):
                self._problem(f"dangerous style: {shown[:120]}")
            if name == "srcdoc":
                self._problem(f"srcdoc: {shown[:120]}")


def dangerous_markup(html: str) -> list[str]:
    """Everything in the HTML that could run script or reshape the page; empty when clean."""
    judge = _Judge()
    judge.feed(html)
    judge.close()
    return judge.problems
