# PostgreSQL for the replicas profile of deploy/docker-compose.yml: Debian's
# postgresql package, run as the postgres user (it refuses root). Build
# context: the repository root. The role and database are both "dirbridge";
# the role's password is read once, at the first start, from
# $POSTGRES_PASSWORD_FILE. PGPORT / PG_LISTEN: where it listens.
ARG BASE_IMAGE=debian:12
FROM ${BASE_IMAGE}
# A fixed uid, so that a secret file can be made for it on the host; no
# cluster from the package (the entrypoint makes one in the volume).
RUN groupadd --system --gid 10002 postgres \
 && useradd --system --uid 10002 --gid postgres --home-dir /var/lib/postgresql postgres \
 && mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && mkdir -p /var/lib/postgresql/data \
 && chown -R postgres:postgres /var/lib/postgresql \
 && chmod 0700 /var/lib/postgresql/data
COPY deploy/docker/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD pg_isready -q -h 127.0.0.1 -p "${PGPORT:-5432}" -d dirbridge -U dirbridge || exit 1
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
