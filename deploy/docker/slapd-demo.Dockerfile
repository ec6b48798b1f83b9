# A demo OpenLDAP directory from Debian's slapd and deploy/demo/demo.ldif.
# Build context: the repository root.
FROM debian:12
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slapd ldap-utils \
 && rm -rf /var/lib/apt/lists/* /etc/ldap/slapd.d /var/lib/ldap/*
COPY deploy/docker/slapd-demo.conf /etc/ldap/slapd.conf
COPY deploy/demo/demo.ldif /tmp/demo.ldif
RUN mkdir -p /var/lib/ldap/demo /run/slapd \
 && slapadd -q -f /etc/ldap/slapd.conf -l /tmp/demo.ldif \
 && chown -R openldap:openldap /var/lib/ldap /run/slapd
EXPOSE 389
HEALTHCHECK --interval=5s --timeout=3s CMD ldapsearch -x -H ldap://127.0.0.1/ -b "" -s base namingContexts >/dev/null || exit 1
CMD ["slapd", "-d", "0", "-u", "openldap", "-g", "openldap", "-f", "/etc/ldap/slapd.conf", "-h", "ldap:///"]
