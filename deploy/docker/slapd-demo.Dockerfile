# A demo OpenLDAP directory from Debian's slapd and deploy/demo/demo.ldif,
# run as the openldap user. Build context: the repository root.
# SLAPD_HOST / SLAPD_PORT: where it listens (default: every address, 389).
ARG BASE_IMAGE=debian:12
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      slapd ldap-utils >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /etc/ldap/slapd.d /var/lib/ldap/*
COPY deploy/docker/slapd-demo.conf /etc/ldap/slapd.conf
COPY deploy/demo/demo.ldif /tmp/demo.ldif
RUN mkdir -p /var/lib/ldap/demo /run/slapd \
 && slapadd -q -f /etc/ldap/slapd.conf -l /tmp/demo.ldif \
 && rm /tmp/demo.ldif \
 && chown -R openldap:openldap /var/lib/ldap /run/slapd /etc/ldap/slapd.conf \
 && chmod 0600 /etc/ldap/slapd.conf
USER openldap
EXPOSE 389
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ldapsearch -x -H "ldap://127.0.0.1:${SLAPD_PORT:-389}/" -b "" -s base namingContexts >/dev/null || exit 1
CMD ["sh", "-c", "exec slapd -d 0 -f /etc/ldap/slapd.conf -h \"ldap://${SLAPD_HOST:-}:${SLAPD_PORT:-389}/\""]
