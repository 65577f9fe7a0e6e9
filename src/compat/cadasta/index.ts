/** The Cadasta dialect (seeds 002 and 004) with its operations, a router per module. */
import { cadasta } from './dialect';
import { projectUserRoutes } from './project-users';
import { projectRoutes } from './projects';
import { resourceRoutes } from './resources';

cadasta.add(projectRoutes, projectUserRoutes, resourceRoutes);

export { cadasta };
