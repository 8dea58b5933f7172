/*
 * llm_providers.c - what differs between the OpenAI-compatible platforms:
 * base URLs, where the key comes from, default models, JSON mode, and how
 * each one says "slow down" versus "this will never work" (a 429 is both,
 * so the body decides).
 */
#include "llm.h"
#include "../lib/json.h"
#include "../lib/util.h"

#include <stdio.h>
#include <string.h>

static const struct llm_provider providers[] = {
	{ "zhipu", "https://open.bigmodel.cn/api/paas/v4", "ZHIPUAI_API_KEY", "glm-4-flash", LLM_JSON_MODE },
	{ "spark", "https://spark-api-open.xf-yun.com/v1", "SPARK_API_PASSWORD", "lite", 0 },
	{ "ark", "https://ark.cn-beijing.volces.com/api/v3", "ARK_API_KEY", NULL, 0 },
	{ "deepseek", "https://api.deepseek.com", "DEEPSEEK_API_KEY", "deepseek-chat", LLM_JSON_MODE },
	{ "moonshot", "https://api.moonshot.cn/v1", "MOONSHOT_API_KEY", "moonshot-v1-8k", LLM_JSON_MODE },
	{ "dashscope", "https://dashscope.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY", "qwen-plus",
	  LLM_JSON_MODE },
	{ "openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4o-mini", LLM_JSON_MODE },
	{ "ollama", "http://localhost:11434/v1", "OLLAMA_API_KEY", NULL, LLM_JSON_MODE | LLM_KEY_OPTIONAL },
	{ "llamacpp", "http://127.0.0.1:8080/v1", "LLAMACPP_API_KEY", "default", LLM_KEY_OPTIONAL },
	{ "vllm", "http://localhost:8000/v1", "VLLM_API_KEY", NULL, LLM_JSON_MODE | LLM_KEY_OPTIONAL },
};

const struct llm_provider *llm_provider_find(const char *name)
{
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (!strcmp(providers[i].name, name))
			return &providers[i];
	return NULL;
}

void llm_options_init(struct llm_options *o)
{
	memset(o, 0, sizeof(*o));
	o->parallel = 4;
	o->retries = 5;
	o->timeout = 300;
	o->deadline = 600;
	o->temperature = 0.7;
}

/* The error object's code (string or number) and message, when the body has one. */
static void error_fields(const char *body, size_t len, char *code, size_t codesize,
			 char *message, size_t msgsize, char *type, size_t typesize)
{
	json_t *root = llm_extract_json(body, len), *err, *v;
	*code = *message = *type = '\0';
	if (!root)
		return;
	err = json_object_get(root, "error");
	if (!json_is_object(err))
		err = root;	/* some platforms put code/message at the top */
	v = json_object_get(err, "code");
	if (json_is_string(v))
		snprintf(code, codesize, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(code, codesize, "%lld", (long long)json_integer_value(v));
	v = json_object_get(err, "message");
	if (!json_is_string(v))
		v = json_object_get(err, "msg");
	if (json_is_string(v))
		snprintf(message, msgsize, "%s", json_string_value(v));
	v = json_object_get(err, "type");
	if (json_is_string(v))
		snprintf(type, typesize, "%s", json_string_value(v));
	json_decref(root);
}

enum llm_error_kind llm_classify_http(long status, const char *body, size_t len,
				      const char *key_env, char *msg, size_t msgsize)
{
	char code[64], message[200], type[64], said[280];
	error_fields(body, len, code, sizeof(code), message, sizeof(message), type, sizeof(type));
	if (*message || *code)
		snprintf(said, sizeof(said), " (%s%s%s)", code, *code && *message ? ": " : "", message);
	else
		*said = '\0';

	if (!strcmp(code, "1113") || status == 402 || !strcmp(code, "insufficient_quota") ||
	    !strcmp(type, "insufficient_quota")) {
		snprintf(msg, msgsize, "the account has no balance or quota left (HTTP %ld%s); "
			 "top it up on the platform, then run the command again", status, said);
		return LLM_ERR_FATAL;
	}
	if (!strcmp(code, "1301") || !strcmp(code, "content_filter") || !strcmp(type, "content_filter") ||
	    !strcmp(code, "data_inspection_failed")) {
		snprintf(msg, msgsize, "the platform refused the content (HTTP %ld%s); "
			 "change the prompt or the records it was given", status, said);
		return LLM_ERR_FATAL;
	}
	if ((status == 401 || status == 403) && key_env) {
		snprintf(msg, msgsize, "the API key was refused (HTTP %ld%s); check the key in $%s, or name the "
			 "variable that holds the right one with --api-key-env VAR", status, said, key_env);
		return LLM_ERR_FATAL;
	}
	if (status == 401 || status == 403) {
		snprintf(msg, msgsize, "the server wants an API key (HTTP %ld%s) and none was sent; put it in an "
			 "environment variable and name it with --api-key-env VAR", status, said);
		return LLM_ERR_FATAL;
	}
	if (status == 429 || status == 408 || status == 409 || status == 425 || status >= 500) {
		snprintf(msg, msgsize, "HTTP %ld%s", status, said);
		return LLM_ERR_RETRY;
	}
	if (status == 404) {
		snprintf(msg, msgsize, "HTTP 404%s: check --base-url (it should end before "
			 "/chat/completions) and --model", said);
		return LLM_ERR_FATAL;
	}
	if (status >= 400) {
		snprintf(msg, msgsize, "the platform rejected the request (HTTP %ld%s); check --model "
			 "and the options", status, said);
		return LLM_ERR_FATAL;
	}
	if (status < 200 || status >= 300) {
		snprintf(msg, msgsize, "unexpected HTTP %ld%s", status, said);
		return LLM_ERR_RETRY;
	}
	*msg = '\0';
	return LLM_ERR_NONE;
}
