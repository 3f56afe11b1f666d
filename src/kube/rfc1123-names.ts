/**
 * The RFC 1123 name rules Kubernetes applies to object names (k8s.io/apimachinery/pkg/util/validation:
 * IsDNS1123Label, IsDNS1123Subdomain), in one place for the configuration, the certificate names and the CLI flags
 * (and the tests' check of the volume names the webhook adds).
 */

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS label (namespaces, Services, volumes): lower-case alphanumerics and `-`, at most 63 characters. */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && LABEL.test(name);
}

/** A DNS subdomain (Secrets, StorageClasses, label-key prefixes): labels joined by `.`, at most 253 characters. */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && SUBDOMAIN.test(name);
}
