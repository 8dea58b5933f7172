/*
 * server.c - the sockets of `winnow serve`: one poll() loop over the
 * listening socket and up to --max-connections clients, non-blocking reads
 * into bounded buffers, the request parser, writes as the client takes
 * them, and the timeouts and Ctrl-C handling described in serve.h. Between
 * polls the engine runs a round, so generation and I/O take turns.
 */
#define _GNU_SOURCE
#include "serve.h"
#include "../lib/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum conn_state {
	CONN_READING,	/* waiting for (the rest of) a request */
	CONN_JOB,	/* a job is writing its answer */
	CONN_CLOSING	/* flush out, then half-close and drain until EOF */
};

struct conn {
	int fd;
	enum conn_state state;
	struct strbuf in, out;
	size_t out_off;			/* bytes of out already sent */
	double last_active;		/* last byte read or written */
	double request_start;		/* first byte of the current request, 0 when none */
	int sent_continue, shut;
	struct job *job;
};

static volatile sig_atomic_t interrupts;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupts++;
}

struct strbuf *conn_out(struct conn *c)
{
	return &c->out;
}

void conn_job_done(struct conn *c)
{
	int keep = c->job && c->job->keep_alive;
	c->job = NULL;
	c->state = keep ? CONN_READING : CONN_CLOSING;
	c->request_start = 0;
	c->last_active = now_seconds();
}

static int listen_on(const char *host, int port)
{
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	int fd, one = 1;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		return error("'%s' is not an IPv4 address (use 127.0.0.1 or 0.0.0.0)", host);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error("cannot create a socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 128)) {
		error("cannot listen on %s:%d: %s", host, port, strerror(errno));
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&addr, &alen);
	fprintf(stderr, "listening on http://%s:%d/v1 (Ctrl-C stops after the requests in flight)\n",
		host, ntohs(addr.sin_port));
	fflush(stderr);
	return fd;
}

static void conn_close(struct server *s, struct conn **conns, int *n, int i)
{
	struct conn *c = conns[i];
	if (c->job)
		engine_cancel(s, c->job);
	close(c->fd);
	strbuf_release(&c->in);
	strbuf_release(&c->out);
	free(c);
	conns[i] = conns[--*n];
}

static void accept_all(struct server *s, int lfd, struct conn **conns, int *n)
{
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c;
		if (*n >= s->lim.max_connections) {
			struct strbuf busy = STRBUF_INIT;
			ssize_t sent;
			http_respond_error(&busy, 503, "server_error", NULL, 0, "too many connections (%d); "
					   "retry shortly", s->lim.max_connections);
			sent = send(fd, busy.buf, busy.len, MSG_NOSIGNAL);
			(void)sent;	/* best effort: the client may be gone already */
			strbuf_release(&busy);
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		strbuf_init(&c->in, 0);
		strbuf_init(&c->out, 0);
		c->last_active = now_seconds();
		conns[(*n)++] = c;
	}
}

/* Removes the first n bytes of sb; an emptied buffer gives its memory back. */
static void drop_front(struct strbuf *sb, size_t n)
{
	if (n >= sb->len) {
		strbuf_release(sb);
		return;
	}
	memmove(sb->buf, sb->buf + n, sb->len - n);
	sb->len -= n;
	sb->buf[sb->len] = 0;
}

/* Parses and handles the requests in c->in while the connection reads. */
static void process_input(struct server *s, struct conn *c)
{
	while (c->state == CONN_READING && c->in.len) {
		struct http_request req;
		enum http_parse_status st = http_parse_request(c->in.buf, c->in.len, s->lim.max_header,
							       s->lim.max_body, &req);
		struct job *j;
		if (st == HTTP_PARSE_MORE) {
			if (req.header_len && req.expect_continue && !c->sent_continue) {
				strbuf_addstr(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
				c->sent_continue = 1;
			}
			return;
		}
		if (st != HTTP_PARSE_DONE) {
			http_respond_error(&c->out, (int)st, "invalid_request_error", NULL, 0, "%s",
				st == HTTP_PARSE_TOO_LARGE ? "the request body is larger than this server's "
				"limit (--max-body)" : st == HTTP_PARSE_HEADERS_TOO_LARGE ? "the request "
				"headers are too large" : st == HTTP_PARSE_LENGTH_REQUIRED ? "send the body "
				"with Content-Length" : "malformed HTTP request");
			c->state = CONN_CLOSING;
			strbuf_reset(&c->in);
			return;
		}
		j = api_handle(s, &req, &c->out);
		if (j) {
			j->conn = c;
			if (engine_submit(s, j)) {
				http_respond_error(&c->out, 429, "rate_limit_exceeded", NULL, j->keep_alive,
						   "the server is busy (%d requests running, %d waiting); retry "
						   "shortly", s->running, s->queued);
				job_free(j);
				j = NULL;
			} else {
				c->job = j;
				c->state = CONN_JOB;
			}
		}
		if (!j && !req.keep_alive)
			c->state = CONN_CLOSING;
		drop_front(&c->in, req.consumed);
		c->sent_continue = 0;
		c->request_start = c->in.len ? now_seconds() : 0;
	}
}

/* Reads what c has sent. Returns -1 when the connection is to be closed. */
static int conn_read(struct server *s, struct conn *c)
{
	char buf[65536];
	size_t cap = s->lim.max_header + s->lim.max_body + 1;
	for (;;) {
		size_t want = sizeof(buf);
		ssize_t got;
		if (c->state == CONN_READING && c->in.len + want > cap)
			want = cap > c->in.len ? cap - c->in.len : 0;
		if (!want)
			return 0;	/* the parser will refuse it */
		got = recv(c->fd, buf, want, 0);
		if (got == 0)
			return -1;
		if (got < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->last_active = now_seconds();
		if (c->state != CONN_READING)
			continue;	/* closing: drained and dropped */
		if (!c->in.len)
			c->request_start = c->last_active;
		strbuf_add(&c->in, buf, (size_t)got);
		if ((size_t)got < want)
			return 0;
	}
}

/* Sends what c's client will take. Returns -1 when the connection is to be closed. */
static int conn_write(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->out_off += (size_t)n;
		c->last_active = now_seconds();
	}
	drop_front(&c->out, c->out_off);
	c->out_off = 0;
	if (c->state == CONN_CLOSING && !c->shut) {
		shutdown(c->fd, SHUT_WR);	/* then read until the client closes, so it sees the answer */
		c->shut = 1;
	}
	return 0;
}

/* 1 when c has waited too long for its client. */
static int timed_out(const struct server *s, const struct conn *c, double now)
{
	if (c->state == CONN_READING && c->request_start)
		return now - c->request_start > s->lim.timeout;
	if (c->state == CONN_JOB)
		return c->out.len > c->out_off && now - c->last_active > s->lim.timeout;
	return now - c->last_active > s->lim.timeout;
}

/* The first polled of conns (those accepted later wait for the next poll). */
static void handle_events(struct server *s, struct conn **conns, int *n, int polled, const struct pollfd *pfd)
{
	double now = now_seconds();
	for (int i = polled - 1; i >= 0; i--) {
		struct conn *c = conns[i];
		short ev = pfd[i].revents;
		int gone = 0;
		if (pfd[i].fd != c->fd)
			continue;	/* accepted after the poll */
		if (ev & (POLLERR | POLLNVAL))
			gone = 1;
		else if (c->state == CONN_JOB && (ev & (POLLHUP | POLLRDHUP)))
			gone = 1;	/* the client gave up: its job stops */
		else if ((ev & (POLLIN | POLLHUP | POLLRDHUP)) && c->state != CONN_JOB)
			gone = conn_read(s, c) < 0;
		if (!gone) {
			process_input(s, c);
			gone = conn_write(c) < 0;
		}
		if (!gone && timed_out(s, c, now)) {
			if (c->state == CONN_READING && c->request_start && !c->shut) {
				http_respond_error(&c->out, 408, "invalid_request_error", NULL, 0,
						   "the request did not arrive within %g s", s->lim.timeout);
				conn_write(c);
			}
			gone = 1;
		}
		if (!gone && c->state == CONN_READING && !c->in.len && s->stopping && !s->running && !s->queued)
			gone = 1;	/* idle keep-alive connection at shutdown */
		if (gone)
			conn_close(s, conns, n, i);
	}
}

static void install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int server_run(struct server *s, const char *host, int port)
{
	int lfd = listen_on(host, port), n = 0, work = 0, polled;
	struct conn **conns;
	struct pollfd *pfd;
	if (lfd < 0)
		return -1;
	conns = xcalloc((size_t)s->lim.max_connections, sizeof(*conns));
	pfd = xcalloc((size_t)s->lim.max_connections + 1, sizeof(*pfd));
	install_handlers();
	for (;;) {
		if (interrupts >= 2)
			break;
		if (interrupts && !s->stopping) {
			s->stopping = 1;
			close(lfd);
			lfd = -1;
			fprintf(stderr, "stopping: finishing %d running and %d waiting requests "
				"(Ctrl-C again quits now)\n", s->running, s->queued);
		}
		if (s->stopping && !work && !n)
			break;
		for (int i = 0; i < n; i++) {
			struct conn *c = conns[i];
			pfd[i].fd = c->fd;
			pfd[i].events = (short)(c->state == CONN_JOB ? POLLRDHUP : POLLIN);
			if (c->out.len > c->out_off)
				pfd[i].events |= POLLOUT;
			pfd[i].revents = 0;
		}
		pfd[n].fd = lfd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		if (poll(pfd, (nfds_t)n + 1, work ? 0 : 200) < 0 && errno != EINTR)
			break;
		polled = n;
		if (lfd >= 0 && (pfd[n].revents & POLLIN))
			accept_all(s, lfd, conns, &n);
		handle_events(s, conns, &n, polled, pfd);
		work = engine_round(s);
		for (int i = 0; i < n; i++)	/* answers the round produced go out now */
			if (conns[i]->out.len > conns[i]->out_off)
				conn_write(conns[i]);
	}
	while (n)
		conn_close(s, conns, &n, n - 1);
	if (lfd >= 0)
		close(lfd);
	free(conns);
	free(pfd);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	return interrupts >= 2 ? 1 : 0;
}
